"""Carriers: who takes a parcel to the buyer. An interface every carrier implements
(`base`), a registry by name, the built-in `sandbox` carrier, and the pure rules a
shipment needs before any carrier is asked (`sizing`, `rules`)."""

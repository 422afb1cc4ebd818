"""Carts: owned by a customer or an anonymous token, priced by the quote, optionally
holding stock, and handed from one channel to another."""

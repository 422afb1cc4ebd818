"""Stock: levels per variant and location, the movement ledger, reservations with
expiry, transfers, and available-to-promise per channel."""

"""Payments: providers and their registry, the sandbox, payments and every call
made about them; authorise, capture, void, refund, never inside a transaction."""

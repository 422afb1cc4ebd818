"""Fulfilment: where an order's goods come from and how they reach the customer."""

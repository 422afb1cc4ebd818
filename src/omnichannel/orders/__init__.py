"""Orders: checkout from a cart, orders from every channel, the order state machine."""

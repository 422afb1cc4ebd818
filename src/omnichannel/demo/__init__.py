"""The demo retailer: a Polish chain with a warehouse, three stores and eight channels."""

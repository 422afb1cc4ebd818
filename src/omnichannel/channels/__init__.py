"""The retailer's sales channels, the locations each sells from, and their API keys."""

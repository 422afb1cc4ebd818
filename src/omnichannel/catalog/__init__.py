"""Products, variants (SKU, GTIN/EAN), brands, the category tree, and bulk import."""

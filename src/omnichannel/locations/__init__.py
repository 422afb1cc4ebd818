"""Warehouses and stores: where stock lives and where customers are served."""

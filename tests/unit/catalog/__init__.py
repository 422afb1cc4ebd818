"""Catalog rules and file parsing, no database."""

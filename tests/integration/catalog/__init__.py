"""Catalog services on SQLite and PostgreSQL."""

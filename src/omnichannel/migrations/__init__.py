"""Alembic migrations, shipped inside the package so `omni db upgrade` works from any install."""

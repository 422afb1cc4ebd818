"""The `omni` command."""

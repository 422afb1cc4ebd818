"""HTTP entrypoint: the FastAPI application, request dependencies, error rendering."""

"""HTTP entrypoint: the FastAPI application, assembled from every domain's routers
and the plumbing in `omnichannel.http`."""

"""HTTP plumbing every router uses: the request's unit of work and who is asking
(`deps`, `routing`), problem+json (`errors`), cursors (`pagination`),
`Idempotency-Key` (`idempotency`) and the URL guard (`guard`). It imports no domain:
what needs one (authenticating a caller, sealing a stored answer) the application
installs on `app.state` when it is built (`omnichannel.api.app`)."""

"""Who is asking: each credential the API accepts, checked by the domain that issued it.

`create_app` installs `authenticate` as `app.state.authenticate`, the
`omnichannel.http.deps.Authenticator` that `get_principal` calls, so that the HTTP
plumbing itself imports no domain.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnichannel.channels import service as channels_service
from omnichannel.customers import accounts as customer_accounts
from omnichannel.kernel import Principal, Unauthenticated
from omnichannel.security import service as security_service


def authenticate(session: Session, *, bearer: str | None, api_key: str | None) -> Principal:
    """A channel's API key, a customer's bearer token (they start with `omct_`), or a
    staff member's."""
    if api_key is not None:
        return channels_service.authenticate_api_key(session, key=api_key)
    if bearer is None:
        raise Unauthenticated("This endpoint needs a bearer token or a channel API key.")
    if bearer.startswith(customer_accounts.TOKEN_PREFIX):
        return customer_accounts.authenticate(session, token=bearer)
    return security_service.authenticate_token(session, token=bearer)

"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text

from omnichannel import __version__, schedule, wiring
from omnichannel.config import Settings, get_settings
from omnichannel.db import Database
from omnichannel.fulfillment.carriers import base as carriers
from omnichannel.fulfillment.carriers.sandbox import SandboxCarrier
from omnichannel.http.bounds import BoundedBody
from omnichannel.http.deps import SessionDep, SettingsDep
from omnichannel.http.errors import PROBLEM_JSON, install_error_handlers, problem_responses
from omnichannel.http.guard import ControlCharacterGuard
from omnichannel.http.routing import Route
from omnichannel.http.throttle import Throttle
from omnichannel.payments import service as payments
from omnichannel.payments.stored_value_provider import StoredValueProvider
from omnichannel.worker import inprocess

API_PREFIX = "/api/v1"


class DatabaseHealth(BaseModel):
    backend: str = Field(description="`sqlite` or `postgresql`.")
    ok: bool


class Health(BaseModel):
    status: str
    version: str
    environment: str
    database: DatabaseHealth


health_router = APIRouter(route_class=Route, tags=["health"])


@health_router.get("/health", response_model=Health, summary="Liveness and database check")
def health(session: SessionDep, settings: SettingsDep) -> Health:
    session.execute(text("SELECT 1"))
    backend = session.get_bind().dialect.name
    return Health(
        status="ok",
        version=__version__,
        environment=settings.env,
        database=DatabaseHealth(backend=backend, ok=True),
    )


def _routers() -> list[APIRouter]:
    # Imported here so that importing omnichannel.api.app stays cheap for tools.
    from omnichannel.carts.api import router as carts
    from omnichannel.catalog.api import router as catalog
    from omnichannel.channels.api import router as channels
    from omnichannel.customers.api import router as customers
    from omnichannel.customers.api_accounts import router as customer_auth
    from omnichannel.customers.api_activity import router as customer_activity
    from omnichannel.customers.api_privacy import router as customer_privacy
    from omnichannel.customers.api_segments import router as customer_segments
    from omnichannel.events.api import router as events
    from omnichannel.fulfillment.api import router as fulfilments
    from omnichannel.fulfillment.api_pickups import router as pickups
    from omnichannel.fulfillment.api_settings import router as fulfilment_settings
    from omnichannel.fulfillment.api_shipments import router as shipments
    from omnichannel.fulfillment.api_work import router as fulfilment_work
    from omnichannel.inventory.api import router as inventory
    from omnichannel.inventory.api_availability import router as availability
    from omnichannel.inventory.api_ledger import router as ledger
    from omnichannel.inventory.api_reservations import router as reservations
    from omnichannel.locations.api import router as locations
    from omnichannel.orders.api import router as orders
    from omnichannel.orders.api_delivery import router as order_delivery
    from omnichannel.orders.api_marketplace import router as marketplace_orders
    from omnichannel.payments.api import router as gift_cards
    from omnichannel.pricing.api import router as pricing
    from omnichannel.pricing.api_quote import router as pricing_quote
    from omnichannel.security.api import router as security

    return [
        health_router,
        security,
        catalog,
        locations,
        channels,
        inventory,
        ledger,
        reservations,
        availability,
        pricing,
        pricing_quote,
        customer_auth,
        customers,
        customer_activity,
        customer_segments,
        customer_privacy,
        carts,
        orders,
        marketplace_orders,
        order_delivery,
        fulfilments,
        pickups,
        shipments,
        fulfilment_work,
        fulfilment_settings,
        gift_cards,
        events,
    ]


def _install_domains(app: FastAPI) -> None:
    """What the HTTP plumbing needs from domains: who a credential belongs to
    (`http.deps.get_principal`), and the key ring that seals stored answers
    (`http.idempotency`; a function, so that a rotated ring is used at once)."""
    # Imported here so that importing omnichannel.api.app stays cheap for tools.
    from omnichannel.api.auth import authenticate
    from omnichannel.customers.crypto import keyring

    app.state.authenticate = authenticate
    app.state.keyring = keyring


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the application. Tests pass their own settings and database."""
    settings = settings or get_settings()
    owns_db = database is None
    db = database or Database.from_url(
        settings.database_url,
        pool_size=settings.db_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Endpoints that touch the database are plain `def`s run in anyio's thread
        # pool; how many may run at once is a measured choice (see decisions.md).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # The worker's jobs in this process (SQLite by default); never on a database
        # the caller owns (tests).
        background = inprocess.start(settings, db, install=schedule.install) if owns_db else None
        yield
        if background is not None:
            await background.stop()
        if owns_db:
            db.dispose()

    app = FastAPI(
        title="Omnichannel",
        version=__version__,
        description=(
            "Unified commerce: one catalog, stock, price, customer and order across the web shop, "
            "mobile app, stores, call center, marketplaces and social channels.\n\n"
            "Staff authenticate with `Authorization: Bearer <token>` from `POST /api/v1/auth/login`; "
            "channels with `X-Api-Key`; customers with `Authorization: Bearer omct_…` from "
            "`POST /api/v1/customers/auth/login`. Errors are RFC 9457 `application/problem+json`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url="/redoc",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.throttle = Throttle(settings)  # rate limits and hashing turns: per app
    _install_domains(app)
    wiring.install()
    # The built-in test provider, as slow as the settings say (real ones register
    # themselves the same way, at start-up).
    payments.register(payments.SandboxProvider(delay_ms=settings.sandbox_delay_ms))
    payments.register(StoredValueProvider(db))  # gift cards and store credit: our own money
    if settings.sandbox_delay_ms:
        # The sandbox carrier as slow as the sandbox provider; otherwise the one the
        # process has already, which remembers the parcels it booked.
        carriers.register(SandboxCarrier(delay_ms=settings.sandbox_delay_ms))
    install_error_handlers(app)
    app.add_middleware(ControlCharacterGuard)
    # Outermost: a body too large is refused before anything else reads it.
    app.add_middleware(
        BoundedBody, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
    )
    for router in _routers():
        app.include_router(router, prefix=API_PREFIX, responses=problem_responses(400, 500))
    _document_problems(app)
    logging.getLogger("omnichannel").setLevel(settings.log_level.upper())
    return app


def _document_problems(app: FastAPI) -> None:
    """FastAPI documents its own 422 as application/json; ours is problem+json."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = plain()
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in spec.get("paths", {}).values():
            for op in operations.values():
                for status_code, response in op.get("responses", {}).items():
                    if status_code.startswith(("4", "5")):
                        response["content"] = problem
        spec.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        spec.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

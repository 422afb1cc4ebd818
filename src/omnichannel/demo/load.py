"""Load the demo retailer through the same services the API uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from rich.console import Console
from sqlalchemy.orm import Session

from omnichannel.catalog.importing import import_products
from omnichannel.catalog.schemas import ProductImport
from omnichannel.catalog.service import variant_ids_by_sku
from omnichannel.channels import service as channels
from omnichannel.channels.rules import allowed_scopes
from omnichannel.channels.schemas import ApiKeyCreate, ChannelCreate, DeliveryRatesIn
from omnichannel.config import get_settings
from omnichannel.db import Database, unit_of_work
from omnichannel.demo import data
from omnichannel.demo.customers import load_customers
from omnichannel.demo.giftcards import GiftCardsReport, load_gift_cards
from omnichannel.demo.orders import OrdersReport, load_orders
from omnichannel.demo.pricing import PricingReport, load_pricing
from omnichannel.fulfillment import settings as fulfilment_settings
from omnichannel.fulfillment.schemas_settings import ChannelRoutingIn, LocationFulfilmentIn
from omnichannel.inventory import service as inventory
from omnichannel.kernel import utcnow
from omnichannel.locations import service as locations
from omnichannel.locations.schemas import LocationCreate
from omnichannel.security import service as security
from omnichannel.security.rules import Role
from omnichannel.security.schemas import StaffCreate

# The demo loads its catalog in batches of this many products per call.
_BATCH = 100


@dataclass
class DemoReport:
    loaded: bool
    variants: int = 0
    customers: int = 0
    api_keys: dict[str, str] = field(default_factory=dict)
    pricing: PricingReport = field(default_factory=PricingReport)
    orders: OrdersReport = field(default_factory=OrdersReport)
    gift_cards: GiftCardsReport = field(default_factory=GiftCardsReport)

    def print(self, console: Console) -> None:
        s = get_settings()
        base = f"http://{s.host}:{s.port}"
        if self.loaded:
            console.print(
                f"[green]Loaded the demo retailer[/] {data.RETAILER}: {len(data.LOCATIONS)} locations, "
                f"{len(data.CHANNELS)} channels, {self.variants} variants, "
                f"{self.pricing.lists} price lists, {self.pricing.promotions} promotions."
            )
            if self.pricing.coupons:
                console.print(f"Coupons to try: {', '.join(self.pricing.coupons)}", soft_wrap=True)
            if self.gift_cards.codes:
                cards = ", ".join(
                    f"{code} ({amount / 100:.2f} zł)" for code, amount in self.gift_cards.codes
                )
                console.print(
                    f"Gift cards to pay with (method gift_card), shown this once: {cards}",
                    soft_wrap=True,
                )
            if self.gift_cards.store_credit:
                console.print(
                    f"Store credit of customer {self.gift_cards.store_credit_customer}: "
                    f"token {self.gift_cards.store_credit}",
                    soft_wrap=True,
                )
            console.print(f"{self.customers} customers with their history, cases and segments.")
            console.print(
                f"{self.orders.orders} orders at every stage; an app cart waits for a till "
                f"with handoff code {self.orders.handoff_code}."
            )
        else:
            console.print(
                f"[yellow]Demo retailer {data.RETAILER} already loaded[/]; keeping it as it is."
            )
        # Plain lines, not a table: credentials must never be cut to fit a narrow terminal.
        console.print("\n[bold]Staff sign-in[/] (POST /api/v1/auth/login):")
        for role, email, _name, password, scope in data.STAFF:
            where = ", ".join(scope) or "all locations"
            console.print(f"  {role:<19} {email:<28} {password:<21} {where}", soft_wrap=True)
        if self.api_keys:
            console.print("\n[bold]Channel API keys[/] (X-Api-Key), shown this once:")
            for code, key in self.api_keys.items():
                console.print(f"  {code:<12} {key}", soft_wrap=True)
        console.print()
        console.print(f"API:    {base}/api/v1/health\nDocs:   {base}/docs")


def is_loaded(db: Database) -> bool:
    with unit_of_work(db, read_only=True) as session:
        return locations.find_location(session, code=data.LOCATIONS[0]["code"]) is not None


def load_demo(db: Database, *, seed: int) -> DemoReport:
    """Seed the demo retailer once, in one transaction; a second call changes nothing."""
    if is_loaded(db):
        return DemoReport(loaded=False)
    report = DemoReport(loaded=True)
    with unit_of_work(db, actor="cli:demo") as session:
        ids = {}
        for doc in data.LOCATIONS:
            ids[doc["code"]] = locations.create_location(
                session, data=LocationCreate.model_validate(doc)
            ).id
        channel_ids: dict[str, uuid.UUID] = {}
        for code, name, type_, sell_from, pickup in data.CHANNELS:
            ch = channels.create_channel(
                session,
                data=ChannelCreate(
                    code=code,
                    name=name,
                    type=type_,
                    currency="PLN",
                    sell_from=[ids[c] for c in sell_from],
                    pickup_at=[ids[c] for c in pickup],
                    buffer_percent=data.BUFFERS.get(code, (None, None))[0],
                    buffer_units=data.BUFFERS.get(code, (None, None))[1],
                    cart_hold_minutes=data.CART_HOLD_MINUTES.get(code),
                    delivery_rates=DeliveryRatesIn.model_validate(
                        data.DELIVERY_RATES.get(code, {})
                    ),
                ),
            )
            _key, secret = channels.issue_api_key(
                session,
                channel_id=ch.id,
                # every scope the channel's type may hold, no more
                data=ApiKeyCreate(name="demo", scopes=sorted(allowed_scopes(type_))),
            )
            report.api_keys[code] = secret
            channel_ids[code] = ch.id
        _load_fulfilment(session, ids, channel_ids)
        for role, email, name, password, scope in data.STAFF:
            security.create_staff(
                session,
                data=StaffCreate(
                    email=email,
                    full_name=name,
                    password=password,
                    role=Role(role),
                    location_ids=[ids[c] for c in scope],
                ),
            )
        raw = data.products(seed)
        docs = [ProductImport.model_validate(d) for d in raw]
        for start in range(0, len(docs), _BATCH):
            import_products(session, products=docs[start : start + _BATCH])
        report.variants = sum(len(d.variants) for d in docs)
        skus = [v.sku for d in docs for v in d.variants]
        _load_stock(session, seed, ids, skus)
        report.pricing = load_pricing(
            session,
            seed=seed,
            products=raw,
            variant_ids=variant_ids_by_sku(session, skus=skus),
            now=utcnow(),
        )
        people = load_customers(session, seed=seed, skus=skus[:200], location_ids=ids)
        report.customers = len(people)
        report.gift_cards = load_gift_cards(session, customer_ids=people)
        by_sku = variant_ids_by_sku(session, skus=skus)
        report.orders = load_orders(
            session, seed=seed, customer_ids=people, variant_ids=[by_sku[s] for s in skus]
        )
    return report


def _load_stock(
    session: Session, seed: int, location_ids: dict[str, uuid.UUID], skus: list[str]
) -> None:
    """Opening stock as receipts (so the ledger explains every unit), store safety
    stock, and a few backorder/preorder items."""
    variant_ids = variant_ids_by_sku(session, skus=skus)
    for code, by_sku in data.stock(seed, skus).items():
        lines = [
            inventory.Change(variant_ids[sku], units) for sku, units in by_sku.items() if units > 0
        ]
        if lines:
            inventory.receive(
                session, location_id=location_ids[code], lines=lines, reference="opening-stock"
            )
    for loc in data.LOCATIONS:
        if loc["type"] == "store":
            inventory.set_safety_stock(
                session, location_id=location_ids[loc["code"]], units=data.STORE_SAFETY_STOCK
            )
    for sku, (limit, until) in data.policies(seed, skus).items():
        inventory.set_policy(
            session,
            variant_id=variant_ids[sku],
            backorder=True,
            backorder_limit=limit,
            preorder_until=date.fromisoformat(until) if until else None,
        )


def _load_fulfilment(
    session: Session, location_ids: dict[str, uuid.UUID], channel_ids: dict[str, uuid.UUID]
) -> None:
    """How each location fulfils and each channel routes, before any order is routed."""
    for code, doc in data.FULFILMENT.items():
        fulfilment_settings.set_location_settings(
            session,
            location_id=location_ids[code],
            data=LocationFulfilmentIn.model_validate(
                dict.fromkeys(LocationFulfilmentIn.model_fields) | doc
            ),
        )
    for code, doc in data.ROUTING.items():
        fulfilment_settings.set_channel_routing(
            session,
            channel_id=channel_ids[code],
            data=ChannelRoutingIn.model_validate(
                dict.fromkeys(ChannelRoutingIn.model_fields) | doc
            ),
        )

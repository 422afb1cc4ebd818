"""Public contract of checkout and orders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from omnichannel.contract import InputModel
from omnichannel.customers.schemas import AddressIn, Email, PersonName, Phone
from omnichannel.orders.rules import MAX_LINES, Fulfilment, OrderStatus
from omnichannel.payments.service import PaymentMethod

MAX_TOTAL = 10_000_000_000  # 100 million in minor units


class ContactIn(InputModel):
    email: Email | None = None
    phone: Phone | None = None
    given_name: PersonName | None = None
    family_name: PersonName | None = None


class PaymentIn(InputModel):
    method: PaymentMethod
    token: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The payment provider's token for card, BLIK or gift card (never card "
        "data). The built-in `sandbox` provider takes `sandbox_ok`, `sandbox_declined`, a "
        "6-digit BLIK code, or `sandbox_gc_<balance>`.",
    )


class CheckoutIn(InputModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="Must be the cart's currency.")
    fulfilment: Fulfilment
    pickup_location_id: uuid.UUID | None = Field(None, description="For pickup orders.")
    delivery_method: Literal["courier", "locker"] = Field(
        "courier",
        description="A delivery's way: by courier to the shipping address, or to a parcel "
        "locker (`point_id`). Its fee is the channel's rate for it.",
    )
    point_id: str | None = Field(
        None,
        max_length=16,
        description="The parcel locker of a locker delivery (like KRA01M or WAW123A).",
    )
    reserve: bool = Field(
        False,
        description="Reserve & collect: the goods are held at the pickup store (from its "
        "own shelf) for the channel's hold time, paid at its till (`pay_at_pickup`); not "
        "collected in time, the order is cancelled.",
    )
    contact: ContactIn | None = Field(
        None,
        description="The buyer; an anonymous cart attaches to the profile they lead to. A "
        "pickup order of an anonymous cart needs an e-mail or phone (to say it is ready).",
    )
    shipping_address: AddressIn | None = None
    billing_address: AddressIn | None = None
    save_to_profile: bool = Field(
        True,
        description="Keep the contact's e-mail and phone and the shipping address on the "
        "buyer's profile (what it has already is not added twice), for a signed-in "
        "customer as for an anonymous buyer; false leaves the profile as it is. An "
        "anonymous buyer is still attached to the profile their e-mail or phone leads to.",
    )
    payment: PaymentIn
    expected_total: int | None = Field(
        None,
        ge=0,
        le=MAX_TOTAL,
        description="The total the buyer agreed to; 409 `price_changed` if it is no longer so.",
    )
    channel: str | None = Field(
        None,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Staff only: the channel finishing the order (a till, the call center).",
    )


class TransitionIn(InputModel):
    to: OrderStatus
    reason: str | None = Field(None, max_length=500)
    channel: str | None = Field(
        None, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Where it happened."
    )


class CancelIn(InputModel):
    lines: list[Annotated[int, Field(ge=1, le=MAX_LINES)]] | None = Field(
        None,
        min_length=1,
        max_length=MAX_LINES,
        description="Line numbers to cancel; absent: the whole order.",
    )
    reason: str | None = Field(None, max_length=500)


class AllocationRead(BaseModel):
    """Units of a line held at one location."""

    location_id: uuid.UUID
    quantity: int
    status: str = Field(description="held, in_transit, left or released")


class OrderLineRead(BaseModel):
    line_no: int
    variant_id: uuid.UUID
    sku: str
    quantity: int
    cancelled: int
    allocations: list[AllocationRead] = Field(
        description="Where the line's units come from (a line may be split)."
    )
    price_list: str
    unit_price: int
    subtotal: int
    discount: int
    total: int
    net: int
    vat: int
    vat_code: str


class PaymentOperationRead(BaseModel):
    kind: str
    amount: int
    succeeded: bool
    message: str | None
    at: datetime


class PaymentRead(BaseModel):
    id: uuid.UUID
    method: str
    provider: str
    status: str
    currency: str
    amount: int
    captured: int
    refunded: int
    operations: list[PaymentOperationRead]


class ReceiptLine(BaseModel):
    sku: str
    quantity: int
    unit_price: int
    discount: int
    total: int
    vat_code: str


class ReceiptRead(BaseModel):
    """What a till prints (a fiscal printer formats it)."""

    number: str
    at: datetime
    location_id: uuid.UUID
    lines: list[ReceiptLine]
    vat: list[dict[str, Any]]
    total: int
    currency: str
    paid_by: list[str]


class RouteRead(BaseModel):
    method: str = Field(description="home, locker, pickup or carry_out")
    point_id: str | None = Field(None, description="The parcel locker, for a locker delivery.")
    eta: str | None = Field(description="Delivered, or ready for pickup, by this day.")
    explanation: list[str] = Field(description="Why the goods come from where they do.")


class OrderRead(BaseModel):
    id: uuid.UUID
    number: str
    kind: str
    status: str
    payment_status: str
    customer_id: uuid.UUID | None
    cart_id: uuid.UUID | None
    origin_channel_id: uuid.UUID
    completing_channel_id: uuid.UUID
    journey: list[str] = Field(description="Channels the order passed through, first first.")
    external_id: str | None
    currency: str
    subtotal: int
    discount: int
    delivery: int
    total: int
    vat: int
    open_total: int = Field(description="The total less cancelled lines.")
    fulfilment: str
    pickup_location_id: uuid.UUID | None
    lines: list[OrderLineRead]
    payments: list[PaymentRead]
    pricing: dict[str, Any] = Field(description="Promotions, coupons and VAT as quoted.")
    route: RouteRead | None = Field(
        None, description="Where the goods come from and why (orders routed across locations)."
    )
    contact: dict[str, Any] | None = Field(
        None,
        description="Shown to the customer themself; staff who deliver the order read it "
        "(and the shipping address) at `GET /orders/{id}/delivery`, audited.",
    )
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    receipt: ReceiptRead | None = Field(None, description="Till sales only.")
    placed_at: datetime
    version: int


class TransitionRead(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    channel: str | None
    reason: str | None
    at: datetime

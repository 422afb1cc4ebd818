"""Public contract of the quote, the prices to display (with the EU Omnibus reference),
the price history and the channel parity report."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from omnichannel.channels.service import DeliveryMethod
from omnichannel.contract import InputModel
from omnichannel.pricing.quoting import Quote
from omnichannel.pricing.rules import (
    MAX_AMOUNT,
    MAX_COUPONS,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_SEGMENTS,
    REFUSAL_TEXT,
    PromotionKind,
    Refusal,
)
from omnichannel.pricing.schemas import ChannelCode, Currency, Segment, check_currency


class QuoteLineIn(InputModel):
    variant_id: uuid.UUID
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class QuoteRequest(InputModel):
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=MAX_LINES)
    currency: Currency = "PLN"
    customer_id: uuid.UUID | None = Field(
        None,
        description="The customer: their segments' prices apply and per-customer limits "
        "count. 404 if there is no such customer.",
    )
    segments: list[Segment] = Field(
        default_factory=list,
        max_length=MAX_SEGMENTS,
        description="Preview only (staff with pricing:preview): price as a member of these "
        "segments too. Anyone else gets 403 `segments_not_claimable`: a customer's segments "
        "come from their profile.",
    )
    coupons: list[str] = Field(
        default_factory=list, max_length=MAX_COUPONS, description="Coupon codes, any case."
    )
    channel: ChannelCode | None = Field(
        None,
        description="Staff only: the channel to attribute the quote to. A channel's API key "
        "is its channel.",
    )
    at: AwareDatetime | None = Field(None, description="Price at this time (default now).")
    delivery_price: int | None = Field(
        None,
        strict=True,
        ge=0,
        le=MAX_AMOUNT,
        description="The delivery fee to add, gross minor units; free delivery takes it off. "
        "Or name `delivery_method` instead.",
    )
    delivery_method: DeliveryMethod | None = Field(
        None,
        description="Price delivery at the channel's rate for this method (the channel: "
        "a channel key's own, or `channel` for staff); `carry_out` adds no delivery line. "
        "422 `delivery_method_not_offered` when the channel does not deliver that way.",
    )
    cash_on_delivery: bool = Field(
        False,
        description="Add the channel's cash-on-delivery surcharge (courier and locker only; "
        "422 `cash_on_delivery_not_offered` otherwise).",
    )

    _cur = field_validator("currency")(check_currency)

    @field_validator("coupons")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        for code in v:
            if not 1 <= len(code.strip()) <= 64:
                raise ValueError("a coupon code has 1 to 64 characters")
        return v


class LineDiscountRead(BaseModel):
    promotion: str = Field(description="Code of the promotion.")
    amount: int


class QuoteLineRead(BaseModel):
    index: int
    variant_id: uuid.UUID
    sku: str
    quantity: int
    price_list: str = Field(description="The list whose price won (segment lists may win).")
    base_price: int | None = Field(
        description="The base list's unit price, when another list's price won."
    )
    unit_price: int = Field(description="Gross, minor units.")
    subtotal: int = Field(description="unit_price x quantity.")
    discounts: list[LineDiscountRead]
    discount: int
    total: int = Field(description="What the line costs, gross.")
    net: int
    vat: int
    vat_rate: str = Field(description='"23", "8", "5", "0" or "zw" (exempt).')


class AppliedPromotionRead(BaseModel):
    code: str
    name: str
    kind: PromotionKind
    amount: int = Field(description="Minor units taken off.")
    coupon: str | None
    lines: list[int] = Field(description="Indexes of the lines it reduced.")
    explanation: str = Field(description="One line a person can read.")


class CouponResultRead(BaseModel):
    code: str
    accepted: bool
    promotion: str | None
    reason: Refusal | None = Field(description="Why a refused coupon was refused.")
    message: str | None


class DeliveryRead(BaseModel):
    price: int
    discount: int
    total: int
    net: int
    vat: int
    vat_rate: str


class VatRead(BaseModel):
    rate: str
    gross: int
    net: int
    vat: int


class TotalsRead(BaseModel):
    subtotal: int = Field(description="Lines and delivery before promotions.")
    discount: int
    total: int = Field(description="To pay, gross: the sum of the lines and delivery.")
    net: int
    vat: int


class QuoteRead(BaseModel):
    currency: str
    at: datetime
    channel: str | None = Field(description="Recorded for attribution only.")
    customer_id: uuid.UUID | None
    segments: list[str]
    lines: list[QuoteLineRead]
    promotions: list[AppliedPromotionRead]
    free_delivery: bool
    delivery_method: DeliveryMethod | None = Field(
        None, description="What the delivery line was priced for, when a method was named."
    )
    cash_on_delivery: bool = False
    delivery: DeliveryRead | None
    coupons: list[CouponResultRead]
    totals: TotalsRead
    vat: list[VatRead] = Field(description="Per rate: the sums of the lines (and delivery).")


class DisplayPriceRead(BaseModel):
    variant_id: uuid.UUID
    sku: str
    currency: str
    price_list: str | None = Field(description="Null: not priced in this currency.")
    list_price: int | None
    price: int | None = Field(description="After automatic item promotions.")
    base_price: int | None
    promotions: list[str]
    on_promotion: bool
    lowest_price_30d: int | None = Field(
        description="EU Omnibus: the lowest price of the 30 days before the reduction; "
        "show it next to a reduced price."
    )
    reduction_started_at: datetime | None


class HistoryRead(BaseModel):
    price_list: str
    currency: str
    starts_at: datetime
    list_price: int | None
    price: int | None


class OverrideRead(BaseModel):
    kind: str = Field(description="`price_list` or `promotion`.")
    code: str
    channels: list[str]


class DifferenceRead(BaseModel):
    channel: str
    segments: list[str]
    cart: list[str]
    sku: str
    field: str = Field(description="`unit_price` or `discount`.")
    reference: int = Field(description="Without a channel.")
    value: int = Field(description="In this channel.")
    cause: str


class ParityRead(BaseModel):
    at: datetime
    currency: str
    channels: list[str]
    carts: int
    quotes: int
    overrides: list[OverrideRead]
    differences: list[DifferenceRead]


def quote_read(q: Quote) -> QuoteRead:
    """The public shape of a quote."""
    codes = {o.id: o.code for o in q.offers.values()}
    p = q.priced
    coupon_of = {c.promotion_id: c.code for c in q.coupons if c.accepted}
    applied = list(p.applied) + ([p.free_delivery] if p.free_delivery else [])
    return QuoteRead(
        currency=q.currency,
        at=q.at,
        channel=q.channel,
        customer_id=q.customer_id,
        segments=list(q.segments),
        lines=[
            QuoteLineRead(
                index=ql.index,
                variant_id=ql.priced.line.variant_id,
                sku=ql.sku,
                quantity=ql.priced.line.quantity,
                price_list=ql.price_list,
                base_price=ql.base_price,
                unit_price=ql.priced.line.unit_price,
                subtotal=ql.priced.subtotal,
                discounts=[
                    LineDiscountRead(promotion=codes[pid], amount=amount)
                    for pid, amount in ql.priced.discounts
                ],
                discount=ql.priced.discount,
                total=ql.priced.total,
                net=ql.priced.net,
                vat=ql.priced.vat_amount,
                vat_rate=ql.priced.line.vat.code,
            )
            for ql in q.lines
        ],
        promotions=[
            AppliedPromotionRead(
                code=a.offer.code,
                name=a.offer.name,
                kind=a.offer.kind,
                amount=a.amount,
                coupon=coupon_of.get(a.offer.id),
                lines=list(a.lines),
                explanation=a.explanation,
            )
            for a in applied
        ],
        free_delivery=p.free_delivery is not None,
        delivery_method=q.delivery_method,
        cash_on_delivery=q.cash_on_delivery,
        delivery=DeliveryRead(
            price=p.delivery.price,
            discount=p.delivery.discount,
            total=p.delivery.total,
            net=p.delivery.net,
            vat=p.delivery.vat_amount,
            vat_rate=p.delivery.vat.code,
        )
        if p.delivery
        else None,
        coupons=[
            CouponResultRead(
                code=c.code,
                accepted=c.accepted,
                promotion=c.promotion_code,
                reason=c.reason,
                message=REFUSAL_TEXT[Refusal(c.reason)] if c.reason else None,
            )
            for c in q.coupons
        ],
        totals=TotalsRead(
            subtotal=p.subtotal, discount=p.discount, total=p.total, net=p.net, vat=p.vat_amount
        ),
        vat=[VatRead(rate=v.vat.code, gross=v.gross, net=v.net, vat=v.vat_amount) for v in p.vat],
    )

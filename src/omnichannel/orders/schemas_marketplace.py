"""The marketplace order document, shaped like Allegro's checkout form (the fields an
order needs; anything else the marketplace sends is ignored)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omnichannel.orders.rules import MAX_LINES

Text = Annotated[str, Field(min_length=1, max_length=200)]
MAX_AMOUNT = Decimal("10000000")  # 10 million in major units


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Amount(_Doc):
    amount: str = Field(max_length=20, examples=["49.99"])
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @field_validator("amount")
    @classmethod
    def _decimal(cls, v: str) -> str:
        try:
            d = Decimal(v)
        except InvalidOperation:
            raise ValueError("not a decimal amount") from None
        exponent = d.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2 or not 0 <= d <= MAX_AMOUNT:
            raise ValueError("a non-negative amount with at most 2 decimals")
        return v

    def minor(self) -> int:
        return int(Decimal(self.amount) * 100)


class External(_Doc):
    id: str = Field(min_length=1, max_length=64, description="Our SKU.")


class Offer(_Doc):
    id: Text
    name: str | None = Field(None, max_length=500)
    external: External


class LineItem(_Doc):
    offer: Offer
    quantity: int = Field(ge=1, le=999)
    price: Amount


class Buyer(_Doc):
    id: Text
    email: str | None = Field(None, max_length=254)
    login: str | None = Field(None, max_length=100)
    first_name: str | None = Field(None, alias="firstName", max_length=100)
    last_name: str | None = Field(None, alias="lastName", max_length=100)
    phone_number: str | None = Field(None, alias="phoneNumber", max_length=32)


class Address(_Doc):
    first_name: str | None = Field(None, alias="firstName", max_length=100)
    last_name: str | None = Field(None, alias="lastName", max_length=100)
    street: Text
    city: Text
    zip_code: str = Field(alias="zipCode", min_length=2, max_length=16)
    country_code: str = Field("PL", alias="countryCode", pattern=r"^[A-Z]{2}$")
    phone_number: str | None = Field(None, alias="phoneNumber", max_length=32)


class PickupPoint(_Doc):
    id: Text


class Delivery(_Doc):
    address: Address | None = None
    pickup_point: PickupPoint | None = Field(None, alias="pickupPoint")
    cost: Amount | None = None


class Payment(_Doc):
    type: Literal["ONLINE", "CASH_ON_DELIVERY"] = "ONLINE"


class MarketplaceOrderIn(_Doc):
    id: str = Field(min_length=1, max_length=64, description="The marketplace's order id.")
    buyer: Buyer
    line_items: list[LineItem] = Field(alias="lineItems", min_length=1, max_length=MAX_LINES)
    delivery: Delivery
    payment: Payment = Payment()
    channel: str | None = Field(
        None,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Staff only: the marketplace channel the order came from.",
    )

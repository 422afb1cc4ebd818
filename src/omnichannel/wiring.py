"""Connections between domains that point against the dependency arrow, made once
by every entrypoint (the API, the CLI) before it serves anything.

Customers must not import orders, yet a customer's export must include their orders
and erasing them must pseudonymise those: orders register how, here. Pricing and
customers are siblings that import neither the other, yet a quote for a known
customer uses their segments: customers lend pricing the lookup, here.
"""

from __future__ import annotations


def install() -> None:
    """Register every domain's hooks (idempotent)."""
    # Imported when installing: api.app imports this module and stays cheap for tools.
    from omnichannel.customers import service as customers
    from omnichannel.orders import privacy as orders_privacy
    from omnichannel.pricing import service as pricing

    customers.on_erase("orders", orders_privacy.pseudonymise)
    customers.on_export("orders", orders_privacy.export)
    pricing.segments_from(customers.segments_of)

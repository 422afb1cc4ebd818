"""Connections between domains that point against the dependency arrow, made once
by every entrypoint (the API, the CLI) before it serves anything.

Only what must happen in the caller's own transaction is wired here; a reaction
that may follow later is an outbox consumer (`omnichannel.schedule`). GDPR hooks
must not: an export answers with everything in the same request, and an erasure
pseudonymises the orders in the transaction that blanks the profile (promise 7),
so that no crash leaves personal data behind that a consumer had yet to scrub.

Customers must not import orders, yet a customer's export must include their orders
and erasing them must pseudonymise those: orders register how, here. Pricing and
customers are siblings that import neither the other, yet a quote for a known
customer uses their segments: customers lend pricing the lookup, here. Customers'
360 shows recent orders and open carts: orders and carts lend it their readers, here.
Orders route each checkout's lines across locations, which fulfilment knows how to
do (it sits above orders): fulfilment lends orders its router, here.
"""

from __future__ import annotations


def install() -> None:
    """Register every domain's hooks (idempotent)."""
    # Imported when installing: api.app imports this module and stays cheap for tools.
    from omnichannel.carts import service as carts
    from omnichannel.customers import service as customers
    from omnichannel.customers import view as customer_view
    from omnichannel.fulfillment import sourcing
    from omnichannel.orders import privacy as orders_privacy
    from omnichannel.orders import queries as order_queries
    from omnichannel.orders import service as orders
    from omnichannel.pricing import service as pricing

    customers.on_erase("orders", orders_privacy.pseudonymise)
    customers.on_export("orders", orders_privacy.export)
    customer_view.orders_from(order_queries.recent_orders_of)
    customer_view.carts_from(carts.open_carts_of)
    pricing.segments_from(customers.segments_if_known)
    orders.route_with(sourcing.route)

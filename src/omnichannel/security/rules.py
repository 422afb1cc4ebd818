"""Roles and what they may do. Pure data: no database, no HTTP."""

from __future__ import annotations

from enum import StrEnum

from omnichannel.kernel.auth import ALL


class Role(StrEnum):
    ADMIN = "admin"
    STORE_ASSOCIATE = "store_associate"
    CALL_CENTER_AGENT = "call_center_agent"
    WAREHOUSE_OPERATOR = "warehouse_operator"
    MARKETING_ANALYST = "marketing_analyst"


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"  # edit a location's details (scoped roles: their own)
    LOCATIONS_MANAGE = "locations:manage"  # open, close and re-scope locations
    CHANNELS_READ = "channels:read"
    CHANNELS_MANAGE = "channels:manage"  # includes issuing and revoking API keys
    STAFF_READ = "staff:read"  # staff records are personal data
    STAFF_MANAGE = "staff:manage"
    ANALYTICS_READ = "analytics:read"  # aggregates only
    INVENTORY_READ = "inventory:read"  # levels, ledger, availability
    # Receipts, adjustments, counts, transfers (scoped roles: at their own locations).
    INVENTORY_WRITE = "inventory:write"
    INVENTORY_RESERVE = "inventory:reserve"  # hold stock for a cart, order or customer
    INVENTORY_MANAGE = "inventory:manage"  # policies, safety stock, bulk sync from the ERP
    # Profiles, timelines, cases, segments of a customer; personal fields need customers:pii.
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_PII = "customers:pii"  # see personal data; every such read is audited
    CUSTOMERS_WRITE = "customers:write"  # profiles, identities, consents, notes, cases
    CUSTOMERS_IDENTIFY = "customers:identify"  # checkout: find or start a profile by identity
    CUSTOMERS_MERGE = "customers:merge"  # fold a duplicate profile into another
    CUSTOMERS_EVENTS = "customers:events"  # channels: send interactions to the timeline
    CUSTOMERS_SEGMENTS = "customers:segments"  # define and recompute segments (sizes, no people)
    CUSTOMERS_PRIVACY = "customers:privacy"  # GDPR export and erasure
    CUSTOMERS_AUDIT = "customers:audit"  # read the audit log of personal data
    PRICING_READ = "pricing:read"  # quotes, prices to show, lists, promotions, parity
    PRICING_WRITE = "pricing:write"  # price lists, prices, promotions and coupons
    # Quote and show prices "as segment X" (a preview); everyone else gets the segments
    # of the customer's profile, never those they name.
    PRICING_PREVIEW = "pricing:preview"
    # Open any customer's carts (found through the customer or a handoff code) and change them.
    CARTS_WRITE = "carts:write"
    ORDERS_READ = "orders:read"  # any order (scoped roles too: reading is open, acting is not)
    ORDERS_WRITE = "orders:write"  # place orders: checkout, till sales, orders for a customer
    ORDERS_MANAGE = "orders:manage"  # move orders through fulfilment, cancel, capture, refund
    ORDERS_IMPORT = "orders:import"  # marketplaces: import their orders
    # Read an order's contact and shipping address to fulfil, hand over or answer for
    # it (scoped roles: orders of their locations); every read is audited.
    ORDERS_DELIVERY = "orders:delivery"
    # The work of a store or warehouse on orders it fulfils: see its work list, book
    # and hand over parcels, send and receive transfers for pickups, prepare and hand
    # over pickups, reject a line not on the shelf (scoped roles: their locations).
    FULFILMENT_WORK = "fulfilment:work"
    EVENTS_ADMIN = "events:admin"  # outbox consumers' backlog, parked events and their replay
    # Check a gift card's balance by its code (channels: the storefront's balance form;
    # a signed-in customer may too, without it).
    PAYMENTS_READ = "payments:read"
    # Issue gift cards and store credit, see any account and its ledger, block one.
    PAYMENTS_MANAGE = "payments:manage"
    # Only ever held by signed-in customers (never by a role or an API key): their own
    # carts and orders, and nobody else's.
    CARTS_OWN = "carts:own"
    ORDERS_OWN = "orders:own"


ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({ALL}),
    Role.STORE_ASSOCIATE: frozenset(
        {
            Permission.PRICING_READ,
            Permission.INVENTORY_READ,
            Permission.INVENTORY_WRITE,
            Permission.INVENTORY_RESERVE,
            Permission.CATALOG_READ,
            Permission.LOCATIONS_READ,
            Permission.LOCATIONS_WRITE,
            Permission.CHANNELS_READ,
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_PII,
            Permission.CUSTOMERS_WRITE,
            Permission.CUSTOMERS_IDENTIFY,
            Permission.CARTS_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.ORDERS_MANAGE,
            Permission.ORDERS_DELIVERY,  # hand over at the counter, ship from the store
            Permission.FULFILMENT_WORK,
            Permission.PAYMENTS_READ,
            Permission.PAYMENTS_MANAGE,  # sell gift cards at the till
        }
    ),
    Role.CALL_CENTER_AGENT: frozenset(
        {
            Permission.PRICING_READ,
            Permission.INVENTORY_READ,
            Permission.INVENTORY_RESERVE,
            Permission.CATALOG_READ,
            Permission.LOCATIONS_READ,
            Permission.CHANNELS_READ,
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_PII,
            Permission.CUSTOMERS_WRITE,
            Permission.CUSTOMERS_IDENTIFY,
            Permission.CUSTOMERS_MERGE,
            Permission.CARTS_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.ORDERS_MANAGE,
            Permission.ORDERS_DELIVERY,  # "where is my parcel?"
            Permission.PAYMENTS_READ,
            Permission.PAYMENTS_MANAGE,  # goodwill store credit, block a lost card
        }
    ),
    Role.WAREHOUSE_OPERATOR: frozenset(
        {
            Permission.INVENTORY_READ,
            Permission.INVENTORY_WRITE,
            Permission.CATALOG_READ,
            Permission.LOCATIONS_READ,
            Permission.LOCATIONS_WRITE,
            Permission.ORDERS_DELIVERY,  # the shipping label of what leaves the warehouse
            Permission.FULFILMENT_WORK,  # pack, label and hand parcels to the carrier
        }
    ),
    Role.MARKETING_ANALYST: frozenset(
        {
            Permission.PRICING_READ,
            Permission.INVENTORY_READ,
            Permission.CATALOG_READ,
            Permission.LOCATIONS_READ,
            Permission.CHANNELS_READ,
            Permission.ANALYTICS_READ,
            # Segment definitions and sizes only: no customer, no personal data.
            Permission.CUSTOMERS_SEGMENTS,
            Permission.PRICING_PREVIEW,  # check what a segment's prices and promotions give
        }
    ),
}

# Roles that act only on the locations they are assigned to, and the kind of location.
SCOPED_ROLES: dict[Role, str] = {
    Role.STORE_ASSOCIATE: "store",
    Role.WAREHOUSE_OPERATOR: "warehouse",
}


# What a customer signed in to the web shop or the app may do.
CUSTOMER_PERMISSIONS: frozenset[str] = frozenset({Permission.CARTS_OWN, Permission.ORDERS_OWN})


def permissions_for(role: Role) -> frozenset[str]:
    return ROLE_PERMISSIONS[role]

"""Every mapped table, imported once so the metadata is complete for Alembic and tests."""

from omnichannel.carts import models as carts_models
from omnichannel.catalog import models as catalog_models
from omnichannel.channels import models as channels_models
from omnichannel.customers import models as customers_models
from omnichannel.db import Base
from omnichannel.db import idempotency as idempotency_models
from omnichannel.db import outbox as outbox_models
from omnichannel.events import models as events_models
from omnichannel.fulfillment import models as fulfillment_models
from omnichannel.inventory import models as inventory_models
from omnichannel.locations import models as locations_models
from omnichannel.orders import models as orders_models
from omnichannel.payments import models as payments_models
from omnichannel.payments import models_stored_value as stored_value_models
from omnichannel.pricing import models as pricing_models
from omnichannel.security import models as security_models
from omnichannel.worker import models as worker_models

metadata = Base.metadata

__all__ = [
    "carts_models",
    "catalog_models",
    "channels_models",
    "customers_models",
    "events_models",
    "fulfillment_models",
    "idempotency_models",
    "inventory_models",
    "locations_models",
    "metadata",
    "orders_models",
    "outbox_models",
    "payments_models",
    "pricing_models",
    "security_models",
    "stored_value_models",
    "worker_models",
]

"""What each caller may do and no more: channel keys by channel type, segment prices
that cannot be claimed, delivery details for the staff who deliver, segment members."""

from tests.api.commerce.conftest import keys  # noqa: F401  (the priced, stocked store)

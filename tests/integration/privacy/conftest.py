"""The stocked store and channel keys of the commerce API tests, for the privacy tests."""

from tests.api.commerce.conftest import keys

__all__ = ["keys"]

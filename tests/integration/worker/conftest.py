import pytest

from tests.integration.events.conftest import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()

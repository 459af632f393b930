from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kvalitet.core import clock
from tests.api.conftest import api_as  # noqa: F401  (the bearer-token client fixture)

TODAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[datetime]:
    """History tests run on 2026-11-20 (quality year 2026, the years before are the past)."""
    clock.freeze(TODAY)
    yield TODAY
    clock.freeze(None)

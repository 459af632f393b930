"""Helpers for API tests: a JSON client that authenticates with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import select

from kvalitet.extensions import db


class ApiClient:
    def __init__(self, app: Flask, token: str | None):
        self.raw = app.test_client()
        self.token = token

    def open(self, method: str, url: str, json: Any = None, headers: dict | None = None) -> Any:
        vars(g).clear()  # a fresh request, as on a real server (see tests/conftest.py)
        db.session.commit()  # the test's own work before it is a unit of its own
        all_headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        return self.raw.open(url, method=method, json=json, headers=all_headers)

    def get(self, url: str, **kw: Any) -> Any:
        return self.open("GET", url, **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.open("POST", url, json=json, **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.open("PATCH", url, json=json, **kw)


@pytest.fixture
def api_as(app: Flask):  # type: ignore[no-untyped-def]
    """api_as(user) -> an ApiClient with a fresh personal token of that user."""
    from kvalitet.api.tokens import create_token

    def _make(user: Any) -> ApiClient:
        _row, token = create_token(user, user, name="test")
        return ApiClient(app, token)

    return _make


def category_id(label: str | None = None) -> int:
    from kvalitet.avvikelser.models import CATEGORY_LIST
    from kvalitet.extensions import db
    from kvalitet.items.models import ListEntry

    query = select(ListEntry.id).where(ListEntry.list_key == CATEGORY_LIST)
    if label:
        query = query.where(ListEntry.label == label)
    value = db.session.scalar(query.order_by(ListEntry.sort_order))
    assert value is not None
    return value

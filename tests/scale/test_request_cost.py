"""What every page pays before its own work: the session, the user, the user's roles and the
bell's count are one statement (org.sessions), also when the request's session starts empty
as on a server (the test's own objects gone from the identity map), and the bell still
counts right, before and after a change within the request."""

from __future__ import annotations

import gc
import re
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import g
from sqlalchemy import select

from kvalitet import web
from kvalitet.extensions import db
from kvalitet.notify.models import Notification
from kvalitet.notify.operations import notify
from kvalitet.org.models import User
from tests.scale.test_query_counts import counting


def _fresh_get(client: Any, url: str) -> tuple[Any, list[str]]:
    """GET `url` with nothing in the identity map, as a server's request starts."""
    db.session.commit()
    db.session.expunge_all()
    gc.collect()
    vars(g).clear()
    with counting() as statements:
        response = client.raw.get(url)
    return response, statements


def _badge(response: Any) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<', response.get_data(as_text=True))
    return found.group(1) if found else None


# The bell's count of unread notices (notify.unread_subquery), alone or inside another statement.
BELL = re.compile(r"count\(\*\) AS \w+\s+FROM notification\s+WHERE notification.user_id = ")


def test_session_user_roles_and_bell_in_one_statement(app, org, login_as):
    chef = org.chef_a1
    email, user_id = chef.email, chef.id
    client = login_as(chef)
    notify([chef], "Ärende AVV-1 väntar", url="/", purpose="test")
    notify([chef], "Ärende AVV-2 väntar", url="/", purpose="test")
    del chef

    response, statements = _fresh_get(client, "/")
    assert response.status_code == 200
    assert _badge(response) == "2"
    touching = [s for s in statements if "user_session" in s]
    assert len(touching) == 1, touching
    assert "role_assignment" in touching[0] and BELL.search(touching[0])
    # Neither the user, nor their roles, nor the bell asked again.
    alone = [
        s
        for s in statements
        if "user_session" not in s
        and (
            re.search(r"FROM user_account\s+WHERE user_account.id =", s)
            or re.search(r"FROM role_assignment", s)
            or BELL.search(s)
        )
    ]
    assert not alone, alone

    # Read on the notices page's POST: the next page's bell shows none.
    assert client.post("/notiser/lasta").status_code == 302
    response, _ = _fresh_get(client, "/")
    assert _badge(response) is None
    user = db.session.get(User, user_id)
    assert user is not None and user.email == email


def test_bell_counts_a_notice_made_during_the_request(app, org, login_as, monkeypatch):
    """A notice flushed in the request forgets the count read with the session: the page
    draws the new figure."""
    chef_id = org.chef_a1.id
    client = login_as(org.chef_a1)

    real = web.unread_count
    made: list[int] = []

    def notify_then_count() -> int:
        if not made:
            user = db.session.get(User, chef_id)
            notify([user], "Ärende AVV-3 väntar", url="/", purpose="test")
            db.session.flush()
            made.append(1)
        return real()

    monkeypatch.setattr(web, "unread_count", notify_then_count)
    response, _ = _fresh_get(client, "/")
    assert response.status_code == 200
    assert _badge(response) == "1"
    unread = db.session.scalars(
        select(Notification).where(Notification.user_id == chef_id, Notification.read_at.is_(None))
    ).all()
    assert len(unread) == 1


def test_gunicorn_config_compiles_every_template_as_a_worker_starts(app):
    """gunicorn.conf.py (production's and the benchmarks' server settings) warms each
    worker's Jinja cache: no page compiles a template on a request."""
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["workers"] == 4
    app.jinja_env.cache.clear()
    config["post_worker_init"](SimpleNamespace(wsgi=app))
    names = app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html"))
    assert len(names) > 100
    assert len(app.jinja_env.cache) == len(names)

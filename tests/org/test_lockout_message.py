"""The lock-out message is truthful: it says how long the lock lasts, and the admin it points
to sees the lock and can lift it."""

from __future__ import annotations

import html
import re

from kvalitet.core import clock
from kvalitet.org.operations import wait_text
from tests.conftest import PASSWORD, Client


def _client(app, address: str) -> Client:
    raw = app.test_client()
    raw.environ_base["REMOTE_ADDR"] = address
    return Client(raw)


def _message(response) -> str:
    match = re.search(
        r'<div class="alert alert-danger" role="alert">([^<]*)</div>',
        response.get_data(as_text=True),
    )
    return html.unescape(match.group(1)) if match else ""


def test_wait_text():
    assert wait_text(5) == "under en minut"
    assert wait_text(60) == "1 minut"
    assert wait_text(61) == "2 minuter"
    assert wait_text(15 * 60) == "15 minuter"


def test_locked_address_is_told_how_long_and_the_admin_can_lift_it(app, org, login_as):
    clock.freeze(clock.now())
    app.config.update(LOGIN_ADDRESS_MAX_FAILED=5, LOGIN_LOCKOUT_MINUTES=15)
    locked = _client(app, "10.9.9.9")
    for _ in range(5):
        locked.login(org.chef_a1.email, "gissning-123")
    refused = locked.login(org.chef_a1.email, PASSWORD)
    assert refused.status_code == 401
    message = _message(refused)
    assert "försök igen om 15 minuter" in message
    assert "Inloggningsspärrar" in message
    # The admin named in the message sees this very lock and lifts it.
    admin = login_as(org.admin)
    page = admin.get("/admin/inloggningssparrar").get_data(as_text=True)
    assert "10.9.9.9" in page
    ids = re.findall(r"/admin/inloggningssparrar/(\d+)/hav", page)
    assert ids
    for throttle_id in ids:
        assert admin.post(f"/admin/inloggningssparrar/{throttle_id}/hav").status_code == 302
    assert locked.login(org.chef_a1.email, PASSWORD).status_code == 302


def test_slowed_pair_is_told_the_wait_in_minutes(app, org):
    clock.freeze(clock.now())
    app.config.update(LOGIN_FREE_FAILURES=0, LOGIN_DELAY_SECONDS=300)
    guesser = _client(app, "10.9.9.8")
    guesser.login(org.chef_a1.email, "fel-1234567")  # a 5-minute wait begins
    assert "försök igen om 5 minuter" in _message(guesser.login(org.chef_a1.email, PASSWORD))

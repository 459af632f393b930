"""Login under attack: accounts cannot be enumerated, a stranger cannot lock a colleague out,
guessing slows down exponentially, common passwords are refused, and an admin sees and lifts
locks. Every step is in the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.org.models import LoginThrottle
from kvalitet.org.operations import check_password_rules
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
    return match.group(1) if match else ""


def _audit(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_locked_wrong_and_unknown_accounts_answer_the_same(app, org):
    clock.freeze(clock.now())
    known = _client(app, "10.0.0.1")
    unknown = _client(app, "10.0.0.2")
    for attempt in range(8):
        a = known.login(org.chef_a1.email, "fel-losenord-1")
        b = unknown.login("finns.inte@test.se", "fel-losenord-1")
        assert (a.status_code, _message(a)) == (b.status_code, _message(b)), attempt
        assert a.status_code == 401
    # The answer never says that an account exists or is locked.
    assert "låst" not in _message(a) and "konto" not in _message(a).lower()


def test_a_stranger_cannot_lock_a_colleague_out(app, org):
    clock.freeze(clock.now())
    app.config["LOGIN_ADDRESS_MAX_FAILED"] = 10
    attacker = _client(app, "10.6.6.6")
    for _ in range(25):
        attacker.login(org.chef_a1.email, "gissning-123")
    # The colleague at her own computer logs in at once.
    colleague = _client(app, "10.1.1.1")
    assert colleague.login(org.chef_a1.email, PASSWORD).status_code == 302
    assert colleague.get("/").status_code == 200
    # The attacker's address is locked: not even a right password gets through from there.
    right = attacker.login(org.chef_a1.email, PASSWORD)
    assert right.status_code == 401 and "Vänta en stund" in _message(right)
    assert _audit("login_address_locked") == 1
    # Only real password checks are failures of the account (3 free, then the wait began).
    assert _audit("login_failed") == 4


def test_guessing_slows_down_exponentially_per_account_and_address(app, org):
    start = clock.now()
    clock.freeze(start)
    app.config.update(LOGIN_FREE_FAILURES=3, LOGIN_DELAY_SECONDS=2)
    guesser = _client(app, "10.0.0.9")
    for _ in range(3):
        assert "Fel e-postadress" in _message(guesser.login(org.chef_a1.email, "fel-1234567"))
    waits = []
    for _ in range(4):
        guesser.login(org.chef_a1.email, "fel-1234567")
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "konto"))
        db.session.refresh(row)
        waits.append((row.blocked_until - clock.now()).total_seconds())
        # While waiting, even the right password is refused, with the waiting message.
        refused = guesser.login(org.chef_a1.email, PASSWORD)
        assert refused.status_code == 401 and "Vänta en stund" in _message(refused)
        clock.freeze(row.blocked_until + timedelta(seconds=1))
    assert waits == [2, 4, 8, 16]
    # After the wait the right password works and the pair starts afresh.
    assert guesser.login(org.chef_a1.email, PASSWORD).status_code == 302
    assert db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == "konto")) is None


def test_admin_sees_and_lifts_locks(app, org, login_as):
    clock.freeze(clock.now())
    app.config["LOGIN_ADDRESS_MAX_FAILED"] = 5
    attacker = _client(app, "10.6.6.7")
    for _ in range(6):
        attacker.login(org.chef_a1.email, "gissning-123")
    admin = login_as(org.admin)
    page = admin.get("/admin/inloggningssparrar").get_data(as_text=True)
    assert "10.6.6.7" in page and "Adressen spärrad" in page
    assert "Inloggningsspärrar" in admin.get("/").get_data(as_text=True)  # in the menu
    # Others may not see the page.
    assert login_as(org.kvalitet).get("/admin/inloggningssparrar").status_code == 403
    for row in db.session.scalars(select(LoginThrottle)).all():
        assert admin.post(f"/admin/inloggningssparrar/{row.id}/hav").status_code == 302
    assert _audit("login_lock_lifted") == 2
    assert attacker.login(org.chef_a1.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",
        "password123",
        "1234567890",
        "qwertyuiop",
        "sommar2024!",
        "Lösenord123",
        "kvalitet2026",
        "iloveyou12",
        "Chef A1 losen",
        "chefa1chefa1",
        "abcdefghij",
    ],
)
def test_common_and_personal_passwords_are_refused(app, org, password):
    with pytest.raises(OperationError) as err:
        check_password_rules(password, name="Chef A1", email="chefa1@test.se")
    assert err.value.field == "password"


@pytest.mark.parametrize("password", ["grön kaffekopp på bryggan", "Tre-tranor-vid-sjön", PASSWORD])
def test_good_passwords_pass(app, password):
    check_password_rules(password, name="Chef A1", email="chef.a1@test.se")


def test_password_change_refuses_a_breached_password(app, org, login_as):
    c = login_as(org.chef_a1)
    response = c.post(
        "/konto", {"current": PASSWORD, "new": "password123", "repeat": "password123"}
    )
    assert response.status_code == 200 and "för vanligt" in response.get_data(as_text=True)

"""Sessions end on the server: a session cookie copied before logout, before a password change
or before a timeout does not work afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.notify.models import OutboxMail
from kvalitet.org import sessions
from kvalitet.org.models import PasswordReset, UserSession
from tests.conftest import PASSWORD, Client


def _copy(app, client: Client) -> Client:
    """A second browser holding a copy of `client`'s session cookie (what a thief has)."""
    cookie = client.raw.get_cookie("session")
    assert cookie is not None
    thief = Client(app.test_client())
    thief.raw.set_cookie("session", cookie.value)
    return thief


def test_copied_cookie_stops_working_at_logout(app, org, login_as):
    user = login_as(org.chef_a1)
    thief = _copy(app, user)
    assert thief.get("/").status_code == 200  # the copy works while the session is open
    assert user.post("/logga-ut").status_code == 302
    assert thief.get("/").status_code == 302  # ... and not after logout
    assert thief.get("/avvikelser/").status_code == 302
    row = db.session.scalar(select(UserSession))
    assert row.ended_at is not None and row.end_reason == "utloggad"


def test_password_change_ends_other_sessions_keeps_this_one(app, org, login_as):
    user = login_as(org.chef_a1)
    thief = _copy(app, user)
    response = user.post(
        "/konto", {"current": PASSWORD, "new": "nytt-losen-456", "repeat": "nytt-losen-456"}
    )
    assert response.status_code == 302
    assert user.get("/").status_code == 200
    assert thief.get("/").status_code == 302


@pytest.fixture
def wall(monkeypatch):
    now = [datetime.now(UTC)]
    monkeypatch.setattr(sessions, "wall_now", lambda: now[0])
    return now


def test_idle_timeout(app, org, login_as, wall):
    app.config["SESSION_IDLE_MINUTES"] = 30
    user = login_as(org.chef_a1)
    wall[0] += timedelta(minutes=29)
    assert user.get("/").status_code == 200  # activity keeps it alive
    wall[0] += timedelta(minutes=29)
    assert user.get("/").status_code == 200
    wall[0] += timedelta(minutes=31)
    assert user.get("/").status_code == 302
    assert db.session.scalar(select(UserSession.end_reason)) == "inaktiv"


def test_absolute_timeout(app, org, login_as, wall):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_ABSOLUTE_MINUTES=120)
    user = login_as(org.chef_a1)
    for _ in range(3):
        wall[0] += timedelta(minutes=50)
        user.get("/")
    assert user.get("/").status_code == 302
    assert db.session.scalar(select(UserSession.end_reason)) == "maxtid"


def test_deactivating_a_user_ends_their_sessions(app, org, login_as):
    from kvalitet.org.operations import update_user

    user = login_as(org.med_a1)
    update_user(
        org.admin,
        org.med_a1,
        name=org.med_a1.name,
        email=org.med_a1.email,
        active=False,
        home_unit_id=org.a1.id,
    )
    assert user.get("/").status_code == 302
    assert db.session.scalar(select(UserSession.end_reason)) == "inaktiverad"


# --- password reset ---------------------------------------------------------------------


def _mails() -> list[OutboxMail]:
    return list(
        db.session.scalars(select(OutboxMail).where(OutboxMail.purpose == "password_reset"))
    )


def _request(client: Client, email: str):
    return client.post(
        "/glomt-losenord",
        {"email": email, "csrf_token": client.token("/glomt-losenord")},
        follow_redirects=True,
    )


def test_reset_by_single_use_expiring_link(app, org, client, login_as):
    old_session = login_as(org.chef_a1)
    known = _request(client, org.chef_a1.email)
    unknown = _request(client, "finns.inte@test.se")
    # The same answer whether or not the account exists; a mail only for the real one.
    assert "Om adressen hör till ett konto" in known.get_data(as_text=True)
    assert "Om adressen hör till ett konto" in unknown.get_data(as_text=True)
    (mail,) = _mails()
    assert mail.to_addr == org.chef_a1.email
    link = re.search(r"https?://\S+/aterstall-losenord/(\S+)", mail.body)
    assert link, mail.body
    assert org.chef_a1.name not in mail.body  # only the link, nothing about the person
    token = link.group(1)
    assert db.session.scalar(select(PasswordReset.token_hash)) != token  # stored hashed
    path = f"/aterstall-losenord/{token}"
    assert client.get(path).status_code == 200
    weak = client.post(
        path, {"new": "password123", "repeat": "password123", "csrf_token": client.token(path)}
    )
    assert "för vanligt" in weak.get_data(as_text=True)
    done = client.post(
        path,
        {
            "new": "en-ny-lang-mening",
            "repeat": "en-ny-lang-mening",
            "csrf_token": client.token(path),
        },
    )
    assert done.status_code == 302
    assert client.login(org.chef_a1.email, "en-ny-lang-mening").status_code == 302
    # Single use; and sessions from before the reset are over.
    assert Client(app.test_client()).get(path).status_code == 404
    assert old_session.get("/").status_code == 302
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"password_reset_requested", "password_reset"} <= actions


def test_reset_link_expires_and_only_newest_works(app, org, client):
    from kvalitet.core import clock

    _request(client, org.chef_a1.email)
    _request(client, org.chef_a1.email)
    first, second = (re.search(r"/aterstall-losenord/(\S+)", m.body).group(1) for m in _mails())
    assert client.get(f"/aterstall-losenord/{first}").status_code == 404
    assert client.get(f"/aterstall-losenord/{second}").status_code == 200
    clock.freeze(clock.now() + timedelta(minutes=31))
    assert client.get(f"/aterstall-losenord/{second}").status_code == 404
    assert db.session.scalar(select(func.count(PasswordReset.id))) == 2

from datetime import timedelta

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.org.models import User
from tests.conftest import PASSWORD, Client


def test_login_and_logout(app, org, client: Client):
    response = client.login(org.chef_a1.email)
    assert response.status_code == 302
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert "Mina ärenden" in inbox.get_data(as_text=True)
    assert client.post("/logga-ut").status_code == 302
    assert client.get("/").status_code == 302  # back to login


def test_wrong_password_gives_clear_message(app, org, client: Client):
    response = client.login(org.chef_a1.email, "fel-losenord")
    assert response.status_code == 401
    assert "Fel e-postadress eller lösenord" in response.get_data(as_text=True)


def test_unknown_user_gets_same_message(app, org, client: Client):
    response = client.login("finns.inte@test.se", "whatever-123")
    assert "Fel e-postadress eller lösenord" in response.get_data(as_text=True)


def test_lockout_after_repeated_failures(app, org, client: Client):
    app.config["LOGIN_MAX_FAILED"] = 3
    for _ in range(2):
        client.login(org.chef_a1.email, "fel-losenord")
    locked = client.login(org.chef_a1.email, "fel-losenord")
    assert "tillfälligt låst" in locked.get_data(as_text=True)
    # Even the right password is refused while locked, with the same clear message.
    right = client.login(org.chef_a1.email, PASSWORD)
    assert right.status_code == 401
    assert "tillfälligt låst" in right.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login_locked"))
    # After the lockout time it works again.
    clock.freeze(clock.now() + timedelta(minutes=16))
    assert client.login(org.chef_a1.email, PASSWORD).status_code == 302


def test_password_change_and_old_sessions_end(app, org, login_as):
    first = login_as(org.chef_a1)
    second = login_as(org.chef_a1)
    response = first.post(
        "/konto", {"current": PASSWORD, "new": "nytt-losen-456", "repeat": "nytt-losen-456"}
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # the changing session continues
    assert second.get("/").status_code == 302  # other sessions are logged out
    fresh = Client(app.test_client())
    assert fresh.login(org.chef_a1.email, "nytt-losen-456").status_code == 302


def test_password_change_refuses_wrong_current(app, org, login_as):
    c = login_as(org.chef_a1)
    response = c.post(
        "/konto", {"current": "fel", "new": "nytt-losen-456", "repeat": "nytt-losen-456"}
    )
    assert response.status_code == 200
    assert "Nuvarande lösenord stämmer inte" in response.get_data(as_text=True)
    user = db.session.get(User, org.chef_a1.id)
    from kvalitet.org.operations import verify_password

    assert verify_password(user, PASSWORD)


def test_inactive_user_cannot_log_in(app, org, client: Client):
    org.med_a1.active = False
    db.session.commit()
    assert client.login(org.med_a1.email).status_code == 401


def test_passwords_are_argon2(app, org):
    assert org.chef_a1.password_hash.startswith("$argon2id$")


def test_session_cookie_is_httponly_and_samesite(app, org, client: Client):
    response = client.login(org.chef_a1.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_missing_csrf_gives_friendly_page(app, org, client: Client):
    response = client.post(
        "/logga-in", {"email": org.chef_a1.email, "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert "säkerhetskod" in response.get_data(as_text=True)


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "ny.admin@test.se", "--name", "Ny Admin"],
        input="ett-bra-losenord\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ny.admin@test.se"))
    assert user is not None and user.is_admin

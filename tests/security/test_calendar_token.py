"""The calendar feed secret is stored hashed like API tokens, expires, and can be renewed."""

from __future__ import annotations

import re
from datetime import timedelta

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import NotifyPreference


def _new_feed(client) -> str:
    client.post("/notiser/kalender", {"action": "ny"})
    page = client.get("/notiser/installningar").get_data(as_text=True)
    match = re.search(r'value="http://[^"]+/kalender/([^"]+)\.ics"', page)
    assert match, page
    return match.group(1)


def test_feed_token_is_hashed_shown_once_expires_and_renews(app, org, login_as):
    client = login_as(org.chef_a1)
    token = _new_feed(client)
    pref = db.session.get(NotifyPreference, org.chef_a1.id)
    # Only a hash is stored: a copy of the database does not open anyone's feed.
    assert pref.calendar_token != token and token not in pref.calendar_token
    assert app.test_client().get(f"/kalender/{pref.calendar_token}.ics").status_code == 404
    assert app.test_client().get(f"/kalender/{token}.ics").status_code == 200
    # The secret is shown once, not on the next visit.
    again = client.get("/notiser/installningar").get_data(as_text=True)
    assert token not in again and "visas den bara när den skapas" in again
    assert "gäller till" in again
    # It expires.
    clock.freeze(clock.now() + timedelta(days=366))
    assert app.test_client().get(f"/kalender/{token}.ics").status_code == 404
    # A new one on request works, the old one does not.
    renewed = _new_feed(client)
    assert renewed != token
    assert app.test_client().get(f"/kalender/{renewed}.ics").status_code == 200


def test_migration_hashes_the_plain_tokens_of_existing_feeds(tmp_path):
    """Addresses people already subscribe to keep working after the upgrade."""
    import os

    from sqlalchemy import text

    from kvalitet import create_app
    from kvalitet.core import migrations
    from kvalitet.notify.operations import user_for_calendar_token
    from tests.conftest import BASE_CONFIG

    os.environ["KVALITET_INSTANCE_PATH"] = str(tmp_path)
    app = create_app({**BASE_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        migrations.upgrade("2540228357a2")
        db.session.execute(text(
            "INSERT INTO user_account (id, name, email, title, password_hash, active, "
            "failed_logins, session_token, is_demo, created_at, updated_at) VALUES (1, 'A', "
            "'a@test.se', '', '', 1, 0, 'x', 0, '2026-01-01', '2026-01-01')"))  # fmt: skip
        db.session.execute(text(
            "INSERT INTO notify_preference (user_id, mail_mode, calendar_token) "
            "VALUES (1, 'direkt', 'gammal-klartext-token')"))  # fmt: skip
        db.session.commit()
        migrations.upgrade()
        stored = db.session.scalar(text("SELECT calendar_token FROM notify_preference"))
        assert stored != "gammal-klartext-token" and len(stored) == 64
        user = user_for_calendar_token("gammal-klartext-token")
        assert user is not None and user.email == "a@test.se"
        db.session.remove()
        db.engine.dispose()

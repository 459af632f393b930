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

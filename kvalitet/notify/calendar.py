"""The per-user calendar feed (iCalendar): the user's own open deadlines."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import open_clause
from kvalitet.notify.operations import base_url

if TYPE_CHECKING:
    from kvalitet.org.models import User

# Kinds whose title is a plan text, never about a person, so it may leave the system.
TITLE_KINDS = {"ARS"}


def feed(user: User, organisation: str) -> bytes:
    """Open items the user owns that have a due date (from 90 days back), as all-day events.
    Events carry the kind, the reference number and a link; titles only for plan tasks
    (årshjul), since the feed ends up in other calendar systems."""
    cal = Calendar()
    cal.add("prodid", "-//Kvalitet//Kvalitet kalender//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Kvalitet – {user.name}")
    cal.add("x-wr-timezone", "Europe/Stockholm")
    today = clock.today()
    items = db.session.scalars(
        select(Item)
        .where(
            Item.owner_id == user.id,
            open_clause(),
            Item.due_date.is_not(None),
            Item.due_date >= today - timedelta(days=90),
        )
        .order_by(Item.due_date, Item.id)
        .limit(1000)
    )
    stamp = clock.now()
    for item in items:
        assert item.due_date is not None
        spec = item.spec
        event = Event()
        event.add("uid", f"{item.ref}@kvalitet")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_date)
        event.add("dtend", item.due_date + timedelta(days=1))
        title = f" {item.title}" if item.kind in TITLE_KINDS and item.title else ""
        event.add("summary", f"{spec.label} {item.ref}{title} – klart senast")
        link = f"{base_url()}/arende/{item.ref}"
        event.add("url", link)
        event.add("description", f"{organisation}: {spec.label} {item.ref}. Öppna: {link}")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return bytes(cal.to_ical())

"""The scheduler in bulk: a backlog of overdue items is escalated in one run, as one mail
per person (real SMTP, aiosmtpd in-process), and running the jobs again changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text, update

from bench.generate import generate
from kvalitet.core import clock, uow
from kvalitet.core.periods import quality_year
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import open_clause
from kvalitet.notify import operations as notify_ops
from kvalitet.notify.models import DigestEntry, Notification, OutboxMail, ReminderKey
from kvalitet.notify.operations import escalate_overdue, make_digests, send_outbox, set_mail_mode
from tests.notify.helpers import Server, Sink, free_port


@pytest.fixture
def smtp(app):  # type: ignore[no-untyped-def]
    sink = Sink()
    server = Server(sink, free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT_SECONDS=5)
    server.start()
    yield sink
    server.stop()


def _counts() -> tuple[int, ...]:
    return tuple(
        int(db.session.scalar(select(func.count()).select_from(t)) or 0)
        for t in (ReminderKey, Notification, OutboxMail, DigestEntry)
    )


def _job(function):  # type: ignore[no-untyped-def]
    with uow.unit_of_work():
        return function()


def test_a_backlog_is_one_mail_per_person_and_a_repeat_changes_nothing(app, org, smtp, monkeypatch):  # type: ignore[no-untyped-def]
    generate(1200, quality_year(2025), org.forv, [org.a1, org.b1], seed=9)
    db.session.execute(update(Item).values(owner_id=org.med_a1.id, due_date=date(2026, 9, 1)))
    set_mail_mode(org.chef_a1, "direkt")
    set_mail_mode(org.chef_b1, "sammandrag")
    db.session.commit()
    open_at = dict(
        db.session.execute(
            select(Item.unit_id, func.count()).where(open_clause()).group_by(Item.unit_id)
        ).all()
    )
    backlog = open_at[org.a1.id] + open_at[org.b1.id]
    assert open_at[org.a1.id] > 100 and open_at[org.b1.id] > 100
    clock.freeze(datetime(2026, 10, 15, 8, 0))

    app.config["ESCALATION_BATCH"] = 250
    monkeypatch.setattr(notify_ops, "ANALYZE_AFTER", 100)
    assert _job(escalate_overdue) == backlog
    if db.engine.dialect.name == "postgresql":
        # The planner knows the keys just written (a stale "empty" made the next sweep
        # scan every key for every item).
        known = db.session.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'reminder_key'")
        )
        assert known is not None and known >= backlog * 0.9
    after_first = _counts()
    assert after_first[0] == backlog  # one key per item
    assert _job(escalate_overdue) == 0
    assert _counts() == after_first  # a repeated run changes nothing

    assert _job(make_digests) == 1  # chef_b1's digest
    assert _job(make_digests) == 0
    assert _counts()[3] == 0
    sent = _job(send_outbox)
    assert sent["sent"] == 2 and _job(send_outbox)["sent"] == 0
    to = sorted(m["to"][0] for m in smtp.messages)
    assert to == sorted([org.chef_a1.email, org.chef_b1.email])
    bulk = next(m for m in smtp.messages if m["to"][0] == org.chef_a1.email)
    assert f"{open_at[org.a1.id]} nya notiser" in bulk["body"].decode()
    # Every escalated item's notification went to its unit's chef, never the owner.
    told = dict(
        db.session.execute(
            select(Notification.user_id, func.count())
            .where(Notification.purpose == "eskalering")
            .group_by(Notification.user_id)
        ).all()
    )
    assert told == {org.chef_a1.id: open_at[org.a1.id], org.chef_b1.id: open_at[org.b1.id]}

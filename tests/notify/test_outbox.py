"""The outbox against a real SMTP server (aiosmtpd in-process): mails arrive; with the server
down they wait and are retried with backoff; when it returns each arrives exactly once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import DigestEntry, Notification, OutboxMail, OutboxStatus
from kvalitet.notify.operations import make_digests, notify, send_outbox, set_mail_mode
from tests.notify.helpers import Server, Sink, free_port, make_action


@pytest.fixture
def smtp(app):
    sink = Sink()
    server = Server(sink, free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT_SECONDS=5)
    server.start()
    yield sink, server
    server.stop()


def _queue(org, n: int) -> list[OutboxMail]:
    set_mail_mode(org.chef_a1, "direkt")
    item = make_action(org, date(2026, 5, 1))
    for i in range(n):
        notify([org.chef_a1], f"Notis {i} om {item.ref}", item=item)
    db.session.commit()
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_mails_arrive_with_ref_and_link_only(app, org, smtp):
    sink, _ = smtp
    clock.freeze(datetime(2026, 4, 1, 9, 0))
    mails = _queue(org, 2)
    assert send_outbox() == {"sent": 2, "deferred": 0, "failed": 0}
    assert len(sink.messages) == 2
    first = sink.messages[0]
    assert first["to"] == [org.chef_a1.email]
    assert len(mails) == 2
    body = first["body"].decode()
    assert "/arende/ATG-" in body and "Rutin" not in body
    assert all(m.status == OutboxStatus.SKICKAD for m in db.session.scalars(select(OutboxMail)))
    assert send_outbox()["sent"] == 0  # nothing is sent twice
    assert len(sink.messages) == 2


def test_server_down_mails_wait_with_backoff_then_arrive_exactly_once(app, org, smtp):
    sink, controller = smtp
    clock.freeze(datetime(2026, 4, 1, 9, 0))
    controller.stop()
    _queue(org, 3)
    result = send_outbox()
    assert result["deferred"] == 3 and result["sent"] == 0
    mails = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
    for mail in mails:
        assert mail.status == OutboxStatus.VANTAR and mail.attempts == 1
        assert "Connection refused" in mail.last_error
        # 60 s, with up to 25 % jitter per message.
        assert timedelta(seconds=60) <= mail.next_attempt_at - clock.now() <= timedelta(seconds=75)
    mail = mails[0]
    # Still down at the retry: the wait doubles.
    clock.advance(timedelta(seconds=76))
    send_outbox()
    db.session.refresh(mail)
    assert mail.attempts == 2
    assert timedelta(seconds=120) <= mail.next_attempt_at - clock.now() <= timedelta(seconds=150)
    # The server returns; before the retry time nothing is sent, after it everything once.
    controller.start()
    clock.advance(timedelta(seconds=30))
    assert send_outbox()["sent"] == 0
    clock.advance(timedelta(seconds=130))
    assert send_outbox()["sent"] == 3
    assert send_outbox()["sent"] == 0
    assert len(sink.messages) == 3
    assert len({m["id"] for m in sink.messages}) == 3


def test_without_mail_server_mails_stay_in_outbox(app, org):
    app.config["MAIL_SERVER"] = ""
    _queue(org, 1)
    assert send_outbox()["sent"] == 0
    assert db.session.scalars(select(OutboxMail)).one().status == OutboxStatus.VANTAR


def test_daily_digest_one_mail_per_user_per_day(app, org, smtp):
    sink, _ = smtp
    set_mail_mode(org.chef_a1, "sammandrag")
    clock.freeze(datetime(2026, 4, 1, 5, 0))
    a = make_action(org, date(2026, 5, 1))
    b = make_action(org, date(2026, 5, 2))
    notify([org.chef_a1], f"Nytt: {a.ref}", item=a)
    notify([org.chef_a1], f"Nytt: {b.ref}", item=b)
    db.session.commit()
    assert db.session.scalar(select(OutboxMail.id)) is None
    assert make_digests() == 0  # before NOTIFY_DIGEST_HOUR (07)
    clock.freeze(datetime(2026, 4, 1, 7, 5))
    assert make_digests() == 1
    assert make_digests() == 0
    notify([org.chef_a1], f"Mer: {a.ref}", item=a)
    db.session.commit()
    assert make_digests() == 0  # one digest a day; the new one waits for tomorrow
    send_outbox()
    assert len(sink.messages) == 1
    body = sink.messages[0]["body"].decode()
    assert a.ref in body and b.ref in body and "Rutin" not in body
    clock.advance(timedelta(days=1))
    assert make_digests() == 1
    assert db.session.scalar(select(DigestEntry.notification_id)) is None
    assert (
        db.session.scalar(select(Notification.id).where(Notification.read_at.is_not(None))) is None
    )


def test_mode_none_only_in_app(app, org):
    set_mail_mode(org.chef_a1, "inga")
    make_action(org, date(2026, 5, 1))
    notify([org.chef_a1], "Hej")
    db.session.commit()
    assert db.session.scalar(select(OutboxMail.id)) is None
    assert db.session.scalar(select(DigestEntry.notification_id)) is None


def test_two_senders_at_once_send_each_mail_once(app, org, smtp):
    import threading

    sink, _ = smtp
    _queue(org, 12)
    db.session.remove()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                send_outbox()
                db.session.remove()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(sink.messages) == 12
    assert len({m["id"] for m in sink.messages}) == 12
    statuses = set(db.session.scalars(select(OutboxMail.status)))
    assert statuses == {OutboxStatus.SKICKAD}

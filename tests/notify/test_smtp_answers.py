"""One test per SMTP answer class, against a real in-process SMTP server (aiosmtpd) that
refuses chosen recipients: a permanent refusal fails that message only, with the server's
answer; a temporary one defers that message only; the rest of the batch is delivered once."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import OutboxMail, OutboxStatus
from kvalitet.notify.operations import queue_mail, send_outbox
from tests.notify.helpers import Server, Sink, free_port

ADDRESSES = [f"person{n}@example.se" for n in range(5)]
REFUSED = ADDRESSES[2]


@pytest.fixture
def smtp(app):
    sink = Sink()
    server = Server(sink, free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT_SECONDS=5)
    server.start()
    yield sink, server
    server.stop()


def _queue(addresses=ADDRESSES) -> dict[str, int]:
    clock.freeze(datetime(2026, 4, 1, 9, 0))
    ids = {}
    for address in addresses:
        mail = OutboxMail(to_addr=address, subject="Kvalitet: Ny notis", body="Hej!",
                          next_attempt_at=clock.now())  # fmt: skip
        assert queue_mail(mail)
        db.session.flush()
        ids[address] = mail.id
    db.session.commit()
    return ids


def _mail(mail_id: int) -> OutboxMail:
    db.session.rollback()
    mail = db.session.get(OutboxMail, mail_id)
    assert mail is not None
    return mail


def _delivered(sink) -> list[str]:
    return sorted(to for m in sink.messages for to in m["to"])


PERMANENT = [
    ("rcpt", "550 5.1.1 Mailbox unavailable"),
    ("rcpt", "553 5.1.3 Bad destination address"),
    ("data", "554 5.7.1 Message refused"),
    ("data", "552 5.3.4 Message too big for system"),
]
TEMPORARY = [
    ("rcpt", "450 4.2.1 Mailbox busy"),
    ("rcpt", "452 4.2.2 Mailbox full"),
    ("data", "451 4.3.0 Local error in processing"),
]


@pytest.mark.parametrize(("stage", "answer"), PERMANENT, ids=[a[:3] for _, a in PERMANENT])
def test_permanent_refusal_fails_that_message_and_the_batch_goes_on(app, smtp, stage, answer):
    sink, _ = smtp
    getattr(sink, f"refuse_{stage}")[REFUSED] = answer
    ids = _queue()
    assert send_outbox() == {"sent": 4, "deferred": 0, "failed": 1}
    assert _delivered(sink) == sorted(a for a in ADDRESSES if a != REFUSED)
    refused = _mail(ids[REFUSED])
    assert refused.status == OutboxStatus.MISSLYCKAD
    assert refused.last_error == answer  # the server's answer, code and text
    # Nothing is retried or sent twice, however often the job runs.
    clock.advance(timedelta(days=2))
    assert send_outbox() == {"sent": 0, "deferred": 0, "failed": 0}
    assert len(sink.messages) == 4


@pytest.mark.parametrize(("stage", "answer"), TEMPORARY, ids=[a[:3] for _, a in TEMPORARY])
def test_temporary_refusal_defers_that_message_only_then_it_arrives_once(app, smtp, stage, answer):
    sink, _ = smtp
    getattr(sink, f"refuse_{stage}")[REFUSED] = answer
    ids = _queue()
    assert send_outbox() == {"sent": 4, "deferred": 1, "failed": 0}
    waiting = _mail(ids[REFUSED])
    assert waiting.status == OutboxStatus.VANTAR and waiting.attempts == 1
    assert waiting.last_error == answer
    delay = waiting.next_attempt_at - clock.now()
    assert timedelta(seconds=60) <= delay <= timedelta(seconds=75)
    assert send_outbox()["sent"] == 0  # not before its own retry time
    getattr(sink, f"refuse_{stage}").clear()
    clock.advance(timedelta(seconds=76))
    assert send_outbox() == {"sent": 1, "deferred": 0, "failed": 0}
    assert _delivered(sink) == sorted(ADDRESSES)
    assert len({m["id"] for m in sink.messages}) == 5


def test_backoff_has_jitter_per_message(app, smtp):
    _sink, server = smtp
    server.stop()  # connection refused
    ids = _queue([f"p{n}@example.se" for n in range(8)])
    assert send_outbox() == {"sent": 0, "deferred": 8, "failed": 0}
    times = {_mail(i).next_attempt_at for i in ids.values()}
    assert len(times) > 1  # not all at the same second
    for mail_id in ids.values():
        mail = _mail(mail_id)
        assert "ConnectionRefusedError" in mail.last_error


def test_server_closing_the_connection_defers_that_message_and_reconnects(app, smtp):
    sink, _ = smtp
    sink.refuse_data[REFUSED] = "421 4.3.2 Service shutting down"
    ids = _queue()
    assert send_outbox() == {"sent": 4, "deferred": 1, "failed": 0}
    assert _mail(ids[REFUSED]).last_error.startswith("421")
    assert _delivered(sink) == sorted(a for a in ADDRESSES if a != REFUSED)


def test_timeout_defers_with_backoff(app):
    # A server that accepts connections and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1],
                          MAIL_TIMEOUT_SECONDS=0.5)  # fmt: skip
        ids = _queue(ADDRESSES[:2])
        assert send_outbox() == {"sent": 0, "deferred": 2, "failed": 0}
        for mail_id in ids.values():
            mail = _mail(mail_id)
            assert mail.status == OutboxStatus.VANTAR and "timed out" in mail.last_error
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_gives_up_after_max_attempts(app, smtp):
    sink, _ = smtp
    app.config.update(MAIL_MAX_ATTEMPTS=3)
    sink.refuse_rcpt[REFUSED] = "450 4.2.1 Mailbox busy"
    ids = _queue([REFUSED])
    for _ in range(3):
        send_outbox()
        clock.advance(timedelta(hours=2))
    mail = _mail(ids[REFUSED])
    assert mail.status == OutboxStatus.MISSLYCKAD and mail.attempts == 3
    assert mail.last_error.startswith("Gav upp efter 3 försök: 450")


def test_mail_over_the_size_limit_is_never_built(app, smtp):
    sink, _ = smtp
    app.config.update(MAIL_MAX_BYTES=1000)
    assert not queue_mail(OutboxMail(to_addr=ADDRESSES[0], subject="Stor", body="x" * 2000,
                                     next_attempt_at=clock.now()))  # fmt: skip
    db.session.commit()
    assert db.session.scalar(select(OutboxMail.id)) is None
    assert send_outbox()["sent"] == 0 and sink.messages == []


def test_admin_sees_failed_and_deferred_mail_and_resends(app, org, smtp, login_as):
    sink, _ = smtp
    sink.refuse_rcpt[REFUSED] = "550 5.1.1 Mailbox unavailable"
    sink.refuse_rcpt[ADDRESSES[3]] = "450 4.2.1 Mailbox busy"
    ids = _queue()
    send_outbox()
    admin = login_as(org.admin)
    page = admin.get("/admin/utkorg/problem")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "550 5.1.1 Mailbox unavailable" in html and "450 4.2.1 Mailbox busy" in html
    assert ADDRESSES[0] not in html  # delivered mail is not listed
    assert login_as(org.chef_a1).get("/admin/utkorg/problem").status_code == 403
    # The address is fixed on the mail server; the admin resends.
    sink.refuse_rcpt.clear()
    response = admin.post(f"/admin/utkorg/{ids[REFUSED]}", data={"next": "/admin/utkorg/problem"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/problem")
    assert _mail(ids[REFUSED]).status == OutboxStatus.VANTAR
    assert send_outbox()["sent"] == 1
    assert REFUSED in _delivered(sink)

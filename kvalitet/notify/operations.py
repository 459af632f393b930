"""Queueing notifications, the e-mail outbox, digests, reminders and escalation.

Operations call `notify` inside their transaction: the in-app notification, and the mail (or
the digest entry) for users who want mail, are added to the same session and committed with
the change that caused them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import secrets
import smtplib
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import date, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context
from sqlalchemy import Select, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from kvalitet.core import audit, clock
from kvalitet.core.errors import OperationError
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.items import history
from kvalitet.items.models import Item
from kvalitet.items.queries import open_clause
from kvalitet.notify.models import (
    DigestEntry,
    MailMode,
    Notification,
    NotifyPreference,
    OutboxMail,
    OutboxStatus,
    ReminderKey,
    UndeliverableNotice,
)
from kvalitet.org.models import Role, RoleAssignment, User
from kvalitet.org.models import Unit as UnitModel
from kvalitet.org.operations import all_holders_over, chefs_of

if TYPE_CHECKING:
    from kvalitet.org.models import Unit

log = logging.getLogger(__name__)
_random = random.SystemRandom()

# Who gets an escalation when there is no chef above the owner, in this order.
ESCALATION_FALLBACK_ROLES = (Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)

PURPOSE_NOUNS = {"paminnelse": "påminnelse", "eskalering": "eskalering"}

PURPOSE_SUBJECTS = {
    "paminnelse": "Påminnelse",
    "eskalering": "Försenat ärende",
    "sammandrag": "Dagligt sammandrag",
}


# --- notifications ------------------------------------------------------------------------


_silenced: ContextVar[bool] = ContextVar("notices_silenced", default=False)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """No notices inside the block: what an import brings in, and history recorded on its
    own dates (kvalitet.items.history), is nobody's news and nobody's due work. (Rows of the
    notice tables made some other way are also dropped before a flush there.)"""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def notices_wanted() -> bool:
    """False inside `silenced()` and while history is recorded: history and imports are not
    news (see silenced)."""
    return not (_silenced.get() or history.current() is not None)


def notify(
    users: Iterable[User | int | None],
    message: str,
    *,
    item: Item | None = None,
    url: str | None = None,
    purpose: str = "info",
) -> list[Notification]:
    """Add an in-app notification for each user (deduplicated, inactive users skipped), and
    queue the e-mail (immediately or in the daily digest, as the user chose).

    `message` must hold no secret details: use the item's reference number, never its text.
    Mails never carry the message at all: only the reference number and a link.
    """

    if not notices_wanted():
        return []
    created = []
    seen: set[int] = set()
    for user in users:
        if user is None:
            continue
        user_obj = db.session.get(User, user) if isinstance(user, int) else user
        if user_obj is None or not user_obj.active or user_obj.id in seen:
            continue
        seen.add(user_obj.id)
        note = Notification(
            user_id=user_obj.id, item=item, message=message[:300], url=url, purpose=purpose
        )
        db.session.add(note)
        created.append(note)
        mode = mail_mode(user_obj)
        if mode == MailMode.DIREKT:
            queue_mail(mail_for_notification(user_obj, note))
        elif mode == MailMode.SAMMANDRAG:
            db.session.add(DigestEntry(notification=note, user_id=user_obj.id))
    return created


# {user id: [(notification id, item reference)]}: notifications made in bulk, for their mails.
Told = dict[int, list[tuple[int, str]]]


def notify_in_bulk(rows: Iterable[tuple[int, int, str, str]], purpose: str) -> Told:
    """`notify` for many items at once, as batched inserts: one notification per (user id,
    item id, item reference, message), for users the caller knows to be active. The mails
    are made afterwards by `mail_in_bulk` (one per person over NOTIFY_BULK_MAIL_AFTER);
    nothing inside `silenced()` or while history is recorded, as `notify`."""
    return _insert_notifications(list(rows), purpose) if notices_wanted() else {}


def _insert_notifications(rows: list[tuple[int, int, str, str]], purpose: str) -> Told:
    told: Told = {}
    if not rows:
        return told
    params = [{"user_id": user_id, "item_id": item_id, "message": message[:300],
               "purpose": purpose, "created_at": clock.now()}
              for user_id, item_id, _, message in rows]  # fmt: skip
    refs = {item_id: ref for _, item_id, ref, _ in rows}
    # Matched by (user, item), not by the order of the rows: ordered RETURNING makes SQLite
    # insert row by row.
    made = db.session.execute(
        insert(Notification).returning(Notification.id, Notification.user_id, Notification.item_id),
        params,
    )
    for note_id, user_id, item_id in made:
        told.setdefault(user_id, []).append((note_id, refs[item_id]))
    _forget_unread()
    return told


def unread_subquery(user_id: Any) -> Any:
    """The number of unread notices of `user_id` (a value or a column) as a scalar subquery:
    the bell rides along in the session's statement (org.sessions.RIDERS). `count(*)`, not
    of the id: read from ix_notification_user_read alone, where counting the ids read each
    notice's heap page (a chef's 898 unread: 813 pages, 4.6 ms on every request; 0.27 ms)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(user: User) -> int:
    return int(db.session.scalar(select(unread_subquery(user.id))) or 0)


# Where the bell's count is kept for a request (core.memo; see kvalitet.web.unread_count).
UNREAD_KEY = "unread_count"


def _forget_unread() -> None:
    """Bulk writes of notices bypass the flush, which is what core.memo watches: drop the
    bell's per-request count by hand."""
    if has_request_context():
        g.pop(UNREAD_KEY, None)


def mark_read(user: User, notification_ids: list[int] | None = None) -> None:
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    db.session.execute(query.values(read_at=clock.now()))
    _forget_unread()
    db.session.flush()


# --- preferences and calendar token -------------------------------------------------------


def preference(user: User, create: bool = False) -> NotifyPreference | None:
    pref = db.session.get(NotifyPreference, user.id)
    if pref is None and create:
        pref = NotifyPreference(user_id=user.id, mail_mode=default_mail_mode())
        db.session.add(pref)
    return pref


def default_mail_mode() -> str:
    mode = str(current_app.config.get("NOTIFY_DEFAULT_MAIL_MODE", MailMode.SAMMANDRAG))
    return mode if mode in set(MailMode) else MailMode.SAMMANDRAG


def mail_mode(user: User) -> str:
    pref = preference(user)
    return pref.mail_mode if pref is not None else default_mail_mode()


def mail_modes(user_ids: Iterable[int]) -> dict[int, str]:
    """`mail_mode` of many users in one query: {user id: mode}."""
    ids = list(user_ids)
    query = select(NotifyPreference.user_id, NotifyPreference.mail_mode).where(
        NotifyPreference.user_id.in_(ids)
    )
    chosen = dict(db.session.execute(query).tuples().all()) if ids else {}
    default = default_mail_mode()
    return {user_id: chosen.get(user_id, default) for user_id in ids}


def set_mail_mode(user: User, mode: str) -> None:

    if mode not in set(MailMode):
        raise OperationError("Välj ett av alternativen.", field="mail_mode")
    with transaction():
        pref = preference(user, create=True)
        assert pref is not None
        old = pref.mail_mode
        pref.mail_mode = mode
        if mode != MailMode.SAMMANDRAG:
            # Waiting digest entries are dropped: the notifications stay in the bell list.
            db.session.execute(delete(DigestEntry).where(DigestEntry.user_id == user.id))
        audit.record(
            user, "notify_preference", target=f"user:{user.id}",
            summary="Ändrade e-postinställning för notiser",
            before={"mail_mode": old}, after={"mail_mode": mode},
        )  # fmt: skip


def hash_token(token: str) -> str:
    """sha256 of a calendar feed secret, the way kvalitet.api.tokens stores API tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_calendar_token(user: User) -> str:
    """Create or replace the secret of the user's calendar feed (the old URL stops working).
    Returns the secret: it is shown once, only its hash is kept."""

    token = secrets.token_urlsafe(32)
    days = int(current_app.config.get("CALENDAR_TOKEN_DAYS", 365))
    with transaction():
        pref = preference(user, create=True)
        assert pref is not None
        pref.calendar_token = hash_token(token)  # like API tokens: only the hash is stored
        pref.calendar_token_created_at = clock.now()
        pref.calendar_token_expires_at = clock.now() + timedelta(days=days)
        audit.record(user, "calendar_token", target=f"user:{user.id}",
                     summary="Skapade en ny kalenderlänk")  # fmt: skip
    return token


def revoke_calendar_token(user: User) -> None:

    with transaction():
        pref = preference(user)
        if pref is not None and pref.calendar_token:
            pref.calendar_token = None
            pref.calendar_token_created_at = None
            pref.calendar_token_expires_at = None
            audit.record(user, "calendar_token", target=f"user:{user.id}",
                         summary="Stängde av kalenderlänken")  # fmt: skip


def user_for_calendar_token(token: str) -> User | None:

    if not token or len(token) > 64:
        return None
    pref = db.session.scalar(
        select(NotifyPreference).where(NotifyPreference.calendar_token == hash_token(token))
    )
    if pref is None:
        return None
    expires = pref.calendar_token_expires_at
    if expires is not None and expires <= clock.now():
        return None
    user = db.session.get(User, pref.user_id)
    return user if user is not None and user.active else None


# --- mails --------------------------------------------------------------------------------


def base_url() -> str:
    return str(current_app.config.get("BASE_URL") or "").rstrip("/")


def link_for(note: Notification) -> str:
    return _link(note.item.ref if note.item is not None else None, note.url)


def _link(ref: str | None, url: str | None) -> str:
    if ref:
        return f"{base_url()}/arende/{ref}"
    if url and url.startswith("/"):
        return base_url() + url
    return f"{base_url()}/notiser"


def mail_for_notification(user: User, note: Notification) -> OutboxMail:
    """One mail for one notification: the reference number and a link, nothing else."""
    ref = note.item.ref if note.item is not None else None
    return _notice_mail(user, ref, note.url, note.purpose)


def _notice_mail(user: User, ref: str | None, url: str | None, purpose: str) -> OutboxMail:
    prefix = PURPOSE_SUBJECTS.get(purpose, "Ny notis")
    subject = f"Kvalitet: {prefix}" + (f" {ref}" if ref else "")
    lines = [
        "Hej!",
        "",
        f"Du har en ny notis i Kvalitet{f' om ärende {ref}' if ref else ''}.",
        f"Öppna: {_link(ref, url)}",
        "",
        "Av sekretesskäl står inga uppgifter om ärendet i e-postmeddelandet.",
        f"Inställningar för e-post: {base_url()}/notiser/installningar",
    ]
    return OutboxMail(
        user_id=user.id, to_addr=user.email, subject=subject[:200], body="\n".join(lines),
        purpose=purpose, next_attempt_at=clock.now(),
    )  # fmt: skip


def queue_mail(mail: OutboxMail) -> bool:
    """Add a mail to the outbox unless it is over MAIL_MAX_BYTES: an oversized mail is never
    built into the outbox (the notifications behind it stay in the bell list)."""
    if mail_too_big(mail.subject, mail.body):
        log.warning("mail to user %s not queued: over %d bytes", mail.user_id, mail_max_bytes())
        return False
    db.session.add(mail)
    return True


def _queue_mails(mails: list[OutboxMail]) -> None:
    """`queue_mail` for many mails as one batched insert (the ORM's flush of new rows whose
    ids it must learn inserts them one by one on SQLite)."""
    rows = []
    for mail in mails:
        if mail_too_big(mail.subject, mail.body):
            log.warning("mail to user %s not queued: over %d bytes", mail.user_id,
                        mail_max_bytes())  # fmt: skip
            continue
        rows.append({"user_id": mail.user_id, "to_addr": mail.to_addr, "subject": mail.subject,
                     "body": mail.body, "purpose": mail.purpose,
                     "next_attempt_at": mail.next_attempt_at})  # fmt: skip
    if rows:
        db.session.execute(insert(OutboxMail), rows)


def make_digests() -> int:
    """One digest mail per user with waiting digest entries, once a day after DIGEST_HOUR
    (local time). The mail, the removal of the entries and a per-user-and-day key are one
    savepoint of the job's unit of work, so a digest is never made twice nor lost.

    In bulk: the waiting entries with their reference numbers, the users and the day's keys
    are read in three queries; all the digests are written in one savepoint (batched
    inserts, one delete). If another process made some of them at the same moment, the
    digests are made again user by user, each in its own savepoint (the key decides)."""

    local = clock.local_now()
    if local.hour < int(current_app.config.get("NOTIFY_DIGEST_HOUR", 7)):
        return 0
    day = local.date()
    waiting = db.session.execute(
        select(DigestEntry.user_id, DigestEntry.notification_id, Item.ref)
        .join(Notification, Notification.id == DigestEntry.notification_id)
        .outerjoin(Item, Item.id == Notification.item_id)
        .with_for_update(of=DigestEntry)
    ).all()
    if not waiting:
        return 0
    per_user: dict[int, list[tuple[int, str | None]]] = {}
    for user_id, notification_id, ref in waiting:
        per_user.setdefault(user_id, []).append((notification_id, ref))
    keys = {user_id: f"sammandrag:{user_id}:{day.isoformat()}" for user_id in per_user}
    made_before: set[str] = set()
    wanted = list(keys.values())
    for start in range(0, len(wanted), 900):
        made_before.update(
            k
            for k in db.session.scalars(
                select(OutboxMail.dedupe_key).where(
                    OutboxMail.dedupe_key.in_(wanted[start : start + 900])
                )
            )
            if k
        )
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(per_user)))}
    mails: list[dict[str, Any]] = []
    gone: list[int] = []
    too_big = 0
    for user_id, entries in per_user.items():
        if keys[user_id] in made_before:
            continue
        user = users.get(user_id)
        ids = [n for n, _ in entries]
        if user is None or not user.active:
            gone += ids
            continue
        subject = f"Kvalitet: Dagligt sammandrag {day.isoformat()}"
        body = _digest_body(len(entries), sorted({r for _, r in entries if r}))
        if mail_too_big(subject, body):
            log.warning("digest to user %s not queued: over %d bytes", user_id, mail_max_bytes())
            too_big += 1
        else:
            mails.append({"user_id": user_id, "to_addr": user.email, "purpose": "sammandrag",
                          "subject": subject, "body": body, "dedupe_key": keys[user_id],
                          "next_attempt_at": clock.now()})  # fmt: skip
        gone += ids
    try:
        with db.session.begin_nested():
            _write_digests(mails, gone)
        return len(mails) + too_big
    except IntegrityError:  # another process made some at the same moment
        pass
    made = 0
    by_user = {m["user_id"]: m for m in mails}
    for user_id, entries in per_user.items():
        if keys[user_id] in made_before:
            continue
        mail = by_user.get(user_id)
        try:
            with db.session.begin_nested():
                _write_digests([mail] if mail else [], [n for n, _ in entries])
            made += 1 if mail else 0
        except IntegrityError:
            pass
    return made


def _write_digests(mails: list[dict[str, Any]], notification_ids: list[int]) -> None:
    if mails:
        db.session.execute(insert(OutboxMail), mails)
    for start in range(0, len(notification_ids), 900):
        chunk = notification_ids[start : start + 900]
        db.session.execute(delete(DigestEntry).where(DigestEntry.notification_id.in_(chunk)))
    db.session.flush()


def _digest_body(count: int, refs: list[str]) -> str:
    lines = [
        "Hej!",
        "",
        f"Du har {count} nya notiser i Kvalitet.",
    ]
    # The digest lists a bounded number of items, so it never grows past MAIL_MAX_BYTES.
    shown = int(current_app.config.get("NOTIFY_DIGEST_MAX_ITEMS", 100))
    if refs:
        lines += ["", "Ärenden:"]
        lines += [f"  {ref}  {base_url()}/arende/{ref}" for ref in refs[:shown]]
        if len(refs) > shown:
            lines.append(f"  … och {len(refs) - shown} till.")
    lines += [
        "",
        f"Alla notiser: {base_url()}/notiser",
        "",
        "Av sekretesskäl står inga uppgifter om ärendena i e-postmeddelandet.",
        f"Inställningar för e-post: {base_url()}/notiser/installningar",
    ]
    return "\n".join(lines)


def _retry_delay(attempts: int) -> timedelta:
    """Exponential backoff per message, with jitter so that mails deferred together (a server
    outage) do not all come back at the same second: base·2^(n-1), capped, times 1..1+J."""
    base = int(current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = int(current_app.config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    jitter = float(current_app.config.get("MAIL_RETRY_JITTER", 0.25))
    delay = min(cap, base * 2 ** max(0, min(attempts, 30) - 1))
    return timedelta(seconds=delay * (1 + _random.uniform(0, max(0.0, jitter))))


def _answer(error: BaseException) -> tuple[int | None, str]:
    """The SMTP reply code and text of an error (None for network errors)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, b""))
        return code, _text(text)
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code), _text(error.smtp_error)
    return None, f"{type(error).__name__}: {error}"


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer refuses this message for good (RFC 5321 §4.2.1); 4xx answers, refused or
    lost connections and timeouts are temporary."""
    code, _ = _answer(error)
    return code is not None and 500 <= code <= 599


def _describe(error: BaseException) -> str:
    code, text = _answer(error)
    return (f"{code} {text}" if code is not None else text)[:500]


def _defer(mail: OutboxMail, error: BaseException) -> str:
    """A temporary failure: try this message again later, or give up after MAIL_MAX_ATTEMPTS."""
    mail.attempts += 1
    mail.last_error = _describe(error)
    if mail.attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 20)):
        mail.status = OutboxStatus.MISSLYCKAD
        mail.last_error = f"Gav upp efter {mail.attempts} försök: {mail.last_error}"[:500]
        return "failed"
    mail.next_attempt_at = clock.now() + _retry_delay(mail.attempts)
    return "deferred"


def _fail(mail: OutboxMail, reason: str) -> str:
    mail.status = OutboxStatus.MISSLYCKAD
    mail.attempts += 1
    mail.last_error = reason[:500]
    return "failed"


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host, port = str(cfg["MAIL_SERVER"]), int(cfg.get("MAIL_PORT") or 25)
    timeout = float(cfg.get("MAIL_TIMEOUT_SECONDS", 20))
    smtp: smtplib.SMTP
    if cfg.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
    if cfg.get("MAIL_USERNAME"):
        smtp.login(str(cfg["MAIL_USERNAME"]), str(cfg.get("MAIL_PASSWORD") or ""))
    return smtp


def _message(mail: OutboxMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = str(current_app.config.get("MAIL_FROM") or "kvalitet@example.se")
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    # A stable Message-ID per outbox row: if a crash between sending and marking makes us
    # send a row again, receiving systems can recognise the duplicate.
    msg["Message-ID"] = f"<kvalitet-outbox-{mail.id}@{_msgid_domain()}>"
    msg.set_content(mail.body)
    return msg


def _msgid_domain() -> str:
    sender = str(current_app.config.get("MAIL_FROM") or "kvalitet@example.se")
    return sender.rpartition("@")[2] or "kvalitet"


def mail_max_bytes() -> int:
    return int(current_app.config.get("MAIL_MAX_BYTES", 100_000))


def mail_too_big(subject: str, body: str) -> bool:
    """True when a mail would exceed MAIL_MAX_BYTES: such a mail is never built (the
    notifications stay in the bell list)."""
    return len(subject.encode()) + len(body.encode()) > mail_max_bytes()


def _claim(mail_id: int) -> OutboxMail | None:
    """Claim a waiting row for sending (moves its next attempt MAIL_CLAIM_SECONDS ahead, in
    its own committed UPDATE), so that even two senders without the scheduler lease never
    send the same row twice. A sender that dies after claiming leaves the row to be retried
    when the claim runs out."""
    now = clock.now()
    claim = timedelta(seconds=int(current_app.config.get("MAIL_CLAIM_SECONDS", 600)))
    result = db.session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.status == OutboxStatus.VANTAR,
            OutboxMail.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + claim)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # see send_outbox: the outbox commits per message on purpose
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(OutboxMail, mail_id)


def _commit_outcome(mail_id: int, values: dict[str, Any]) -> None:
    """Write what happened to one message and commit it at once, retrying a busy SQLite: the
    SMTP conversation is over, so its outcome must be kept whatever happens next."""
    for attempt in range(10):
        try:
            db.session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return
        except OperationalError:  # SQLite busy: keep trying to record the outcome
            db.session.rollback()
            time.sleep(0.1 * (attempt + 1))
    raise RuntimeError(f"could not record the outcome of outbox mail {mail_id}")


def _mark_sent(mail_id: int) -> None:
    _commit_outcome(
        mail_id,
        {
            "status": OutboxStatus.SKICKAD,
            "sent_at": clock.now(),
            "attempts": OutboxMail.attempts + 1,
            "last_error": None,
        },
    )


def _record(mail: OutboxMail) -> None:
    _commit_outcome(
        mail.id,
        {
            "status": mail.status,
            "attempts": mail.attempts,
            "last_error": mail.last_error,
            "next_attempt_at": mail.next_attempt_at,
        },
    )


def send_outbox(limit: int = 200) -> dict[str, int]:
    """Send waiting mails whose time has come, one message at a time.

    Each message has its own outcome: accepted (sent), refused for good by a 5xx answer at
    RCPT or DATA (failed, with the server's answer, shown to admins), or a temporary failure
    (4xx answer, refused or lost connection, timeout), after which only that message waits,
    with its own exponential backoff and jitter. A refused message never holds up the rest
    of the batch. Without MAIL_SERVER nothing is sent (admins read the outbox in the app).

    Unit of work: unlike other jobs this one commits once PER MESSAGE, right after its SMTP
    conversation. Handing a mail to the server is an external side effect that cannot be
    rolled back, so its outcome (sent / failed / deferred) must be committed before the next
    message is tried; one commit at the end would resend every accepted mail of the batch
    after a crash in the middle of it.
    """
    result = {"sent": 0, "deferred": 0, "failed": 0}
    if not current_app.config.get("MAIL_SERVER"):
        return result
    ids = list(
        db.session.scalars(
            select(OutboxMail.id)
            .where(
                OutboxMail.status == OutboxStatus.VANTAR, OutboxMail.next_attempt_at <= clock.now()
            )
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    smtp: smtplib.SMTP | None = None
    try:
        for index, mail_id in enumerate(ids):
            mail = _claim(mail_id)
            if mail is None:  # sent or claimed by another sender meanwhile
                continue
            if mail_too_big(mail.subject, mail.body):
                outcome = _fail(mail, f"För stort e-postmeddelande (över {mail_max_bytes()} byte)")
                _record(mail)
                result[outcome] += 1
                continue
            message = _message(mail)
            db.session.commit()  # end the read; the outcome below starts with a write
            if smtp is None:
                try:
                    smtp = _connect()
                except (OSError, smtplib.SMTPException) as error:
                    # The server cannot be reached: this message and the rest of the batch
                    # wait, each with its own backoff; nothing is tried again in this run.
                    log.warning("mail server unreachable: %s", _describe(error))
                    for waiting_id in ids[index:]:
                        waiting = mail if waiting_id == mail_id else _claim(waiting_id)
                        if waiting is not None:
                            result[_defer(waiting, error)] += 1
                            _record(waiting)
                    break
            try:
                smtp.send_message(message)
            except (OSError, smtplib.SMTPException) as error:
                if is_permanent(error):
                    log.warning("mail %s refused for good: %s", mail_id, _describe(error))
                    outcome = _fail(mail, _describe(error))
                else:
                    log.warning("mail %s deferred: %s", mail_id, _describe(error))
                    outcome = _defer(mail, error)
                code, _ = _answer(error)
                if code is None or code == 421:
                    # The connection is lost, timed out or closed by the server (421): the
                    # next message connects anew.
                    _close(smtp)
                    smtp = None
                _record(mail)
                result[outcome] += 1
                continue
            _mark_sent(mail_id)
            result["sent"] += 1
    finally:
        _close(smtp)
    return result


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()


def retry_mail(actor: User, mail: OutboxMail) -> None:
    """An admin puts a failed or waiting mail back to be sent at once."""

    with transaction():
        if mail.status == OutboxStatus.SKICKAD:
            return
        mail.status = OutboxStatus.VANTAR
        mail.attempts = 0
        mail.next_attempt_at = clock.now()
        audit.record(actor, "outbox_retry", target=f"outbox:{mail.id}",
                     summary="Skickar e-postmeddelandet igen")  # fmt: skip


# --- reminders and escalation -------------------------------------------------------------


def reminder_offsets() -> list[int]:
    raw = current_app.config.get("REMINDER_OFFSETS_DAYS", [7, 1, 0])
    return sorted({int(x) for x in raw if int(x) >= 0})


def _make_once(
    item: Item, purpose: str, offset: int, users: list[User], message: str, reason: str
) -> bool:
    """Make one reminder or escalation: the reminder key, and the notifications of `users`,
    in a savepoint of the job's unit of work. False if the key existed (another run made
    it).

    The key is stored only when someone is told. If none of `users` can be told (none given,
    or all inactive), the notice goes to the admins' page of undeliverable notices instead
    (`reason` says why), so it is never lost and never made twice.
    """
    assert item.due_date is not None
    try:
        with db.session.begin_nested():
            db.session.add(
                ReminderKey(
                    item_id=item.id, purpose=purpose, due_date=item.due_date, offset_days=offset
                )
            )
            db.session.flush()
            if not notify([u.id for u in users], message, item=item, purpose=purpose):
                _undeliverable(item, purpose, message, reason)
    except IntegrityError:  # made by another run: the key is the guarantee
        return False
    return True


def admins() -> list[User]:
    """Every active administrator (told about notices that reached no one)."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == str(Role.ADMIN), User.active.is_(True))
            .distinct()
            .order_by(User.id)
        )
    )


def _existing_keys(item_ids: list[int], purpose: str) -> set[tuple[int, date, int]]:
    if not item_ids:
        return set()
    rows = db.session.execute(
        select(ReminderKey.item_id, ReminderKey.due_date, ReminderKey.offset_days).where(
            ReminderKey.item_id.in_(item_ids), ReminderKey.purpose == purpose
        )
    ).all()
    return {(r[0], r[1], r[2]) for r in rows}


def _days_text(days: int) -> str:
    if days == 0:
        return "i dag"
    if days == 1:
        return "i morgon"
    return f"om {days} dagar"


def send_reminders() -> int:
    """Reminders to the owners of open items (every kind) before and on the due date.

    For each item due within the largest offset, the reminder point that has most recently
    passed (due date − offset ≤ today) is made if it was not made before. After downtime the
    scheduler thus catches up with the latest missed reminder only, never a stale one, and
    points before the item existed are skipped.
    """

    offsets = reminder_offsets()
    if not offsets:
        return 0
    today = clock.today()
    rows = db.session.execute(
        select(Item.id, Item.due_date, Item.created_at).where(
            open_clause(),
            Item.owner_id.is_not(None),
            Item.due_date.is_not(None),
            Item.due_date >= today,
            Item.due_date <= today + timedelta(days=max(offsets)),
        )
    ).all()
    done = _existing_keys([r[0] for r in rows], "paminnelse")
    made = 0
    for item_id, due, created_at in rows:
        days_left = (due - today).days
        offset = min(o for o in offsets if o >= days_left)
        point = due - timedelta(days=offset)
        created = clock.to_local(created_at).date() if created_at else None  # type: ignore[union-attr]
        if created is not None and point < created:
            continue
        if (item_id, due, offset) in done:
            continue
        item = db.session.get(Item, item_id)
        if item is None or item.owner is None:
            continue
        message = (
            f"Påminnelse: {item.ref} ska vara klart {_days_text(days_left)} ({due.isoformat()})."
        )
        reason = "Ansvarig är inte längre aktiv."
        if _make_once(item, "paminnelse", offset, [item.owner], message, reason):
            made += 1
    return made


def escalation_recipients(
    item: Item, cache: dict[int, list[list[User]]] | None = None
) -> list[User]:
    """Who is told that `item` is overdue, never the owner themself: the chef of the item's
    unit or the nearest unit above (kvalitet.org.operations.chefs_of); when there is no chef
    above the owner, the next role up the tree that can act: an avdelningschef at or above
    the unit, else the förvaltning's kvalitetsutvecklare. [] when there is no one.

    `cache` keeps each unit's candidates (they do not depend on the item), so a backlog of
    thousands of items asks the role tables once per unit."""
    return _recipients_at(item.unit, item.owner_id, {} if cache is None else cache)


def _recipients_at(
    unit: Unit, owner_id: int | None, cache: dict[int, list[list[User]]]
) -> list[User]:
    if unit.id not in cache:
        candidates: list[list[User]] = []
        above: Unit | None = unit
        while above is not None:
            candidates.append(chefs_of(above))
            above = above.parent
        candidates += [all_holders_over(unit, [role]) for role in ESCALATION_FALLBACK_ROLES]
        cache[unit.id] = candidates
    for users in cache[unit.id]:
        others = [u for u in users if u.id != owner_id]
        if others:
            return others
    return []


ESCALATION_BATCH = 2000


def escalate_overdue() -> int:
    """Tell the owner's chef (or the next role up that can act, see escalation_recipients)
    once about each item still open ESCALATE_AFTER_DAYS days after its due date; with no one
    to tell, the admins' page of undeliverable notices gets it. Catches up after downtime:
    any overdue item not yet escalated is escalated.

    In bulk: the items not yet escalated are found in one query (NOT EXISTS on the reminder
    key), and made in batches of ESCALATION_BATCH, each batch's keys, notifications and
    digest entries written as batched inserts in one savepoint. A person told about more than
    NOTIFY_BULK_MAIL_AFTER items in one run gets one mail listing them (not one mail per
    item); a person who reads mail as a daily digest gets them in the digest as always. If a
    batch meets a key another run made at the same moment, that batch is made item by item
    (the key decides)."""

    after = int(current_app.config.get("ESCALATE_AFTER_DAYS", 3))
    today = clock.today()
    made_before = (
        select(ReminderKey.id)
        .where(
            ReminderKey.item_id == Item.id,
            ReminderKey.purpose == "eskalering",
            ReminderKey.due_date == Item.due_date,
            ReminderKey.offset_days == after,
        )
        .exists()
    )
    rows = db.session.execute(
        select(Item.id, Item.ref, Item.due_date, Item.unit_id, Item.owner_id)
        .where(
            open_clause(),
            Item.owner_id.is_not(None),
            Item.due_date.is_not(None),
            Item.due_date <= today - timedelta(days=after),
            ~made_before,
        )
        .order_by(Item.id)
    ).all()
    if not rows:
        return 0
    owner_names = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({r.owner_id for r in rows}))
        )
        .tuples()
        .all()
    )
    units = {u.id: u for u in db.session.scalars(select(UnitModel).where(
        UnitModel.id.in_({r.unit_id for r in rows})))}  # fmt: skip
    cache: dict[int, list[list[User]]] = {}
    told: Told = {}
    made = 0
    size = int(current_app.config.get("ESCALATION_BATCH", ESCALATION_BATCH))
    for start in range(0, len(rows), size):
        batch = list(rows[start : start + size])
        try:
            with db.session.begin_nested():
                found = _escalate_batch(batch, after, owner_names, units, cache)
            for user_id, notes in found.items():
                told.setdefault(user_id, []).extend(notes)
            made += len(batch)
        except IntegrityError:  # some were made by another run at this moment
            for row in batch:
                item = db.session.get(Item, row.id)
                if item is not None and _escalate_one(item, after, cache):
                    made += 1
    mail_in_bulk(told, "eskalering")
    if made >= ANALYZE_AFTER:
        _analyze(ReminderKey, Notification, DigestEntry)
    return made


# After this many rows in one run, PostgreSQL's statistics of the tables written are renewed
# at once: with the statistics of an empty reminder_key, the next sweep's NOT EXISTS was
# planned as a scan of every key for every open item (76 s after a 30,000-item backlog,
# until autovacuum came by).
ANALYZE_AFTER = 5000


def _analyze(*models: Any) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite plans from its indexes, without statistics that go stale like this
    db.session.flush()
    for model in models:
        db.session.execute(text(f'ANALYZE "{model.__table__.name}"'))


def _escalation_message(ref: str, due: date, owner_name: str | None) -> str:
    return f"{ref} är försenat sedan {due.isoformat()} (ansvarig: {owner_name or 'ansvarig'})."


def _escalation_reason(unit: Unit) -> str:
    return (
        "Ingen chef, avdelningschef eller kvalitetsutvecklare ovanför den ansvariga "
        f"på {unit.name}."
    )


def _escalate_one(item: Item, after: int, cache: dict[int, list[list[User]]]) -> bool:
    assert item.due_date is not None
    message = _escalation_message(item.ref, item.due_date, item.owner.name if item.owner else None)
    recipients = _recipients_at(item.unit, item.owner_id, cache)
    return _make_once(item, "eskalering", after, recipients, message,
                      _escalation_reason(item.unit))  # fmt: skip


def _escalate_batch(
    batch: list[Any],
    after: int,
    owner_names: dict[int, str],
    units: dict[int, Unit],
    cache: dict[int, list[list[User]]],
) -> Told:
    """One batch of escalations as batched inserts: {user id: [(notification, ref)]} of
    the people told (their mails are made after all batches, one per person)."""
    db.session.execute(
        insert(ReminderKey),
        [{"item_id": r.id, "purpose": "eskalering", "due_date": r.due_date,
          "offset_days": after, "created_at": clock.now()} for r in batch],
    )  # fmt: skip
    notices: list[tuple[int, int, str, str]] = []
    for row in batch:
        message = _escalation_message(row.ref, row.due_date, owner_names.get(row.owner_id))
        recipients = [
            u for u in _recipients_at(units[row.unit_id], row.owner_id, cache) if u.active
        ]
        if not recipients:
            item = db.session.get(Item, row.id)
            assert item is not None
            _undeliverable(item, "eskalering", message, _escalation_reason(units[row.unit_id]))
            continue
        notices += [(u, row.id, row.ref, message) for u in dict.fromkeys(u.id for u in recipients)]
    told = _insert_notifications(notices, "eskalering")
    db.session.flush()
    return told


def _undeliverable(item: Item, purpose: str, message: str, reason: str) -> None:
    """A notice that reached no one: to the admins' page of undeliverable notices."""
    log.warning("%s of %s has no recipient: %s", purpose, item.ref, reason)
    db.session.add(
        UndeliverableNotice(item_id=item.id, purpose=purpose, message=message[:300],
                            reason=reason[:300])
    )  # fmt: skip
    notify(
        admins(),
        f"En {PURPOSE_NOUNS.get(purpose, 'notis')} om {item.ref} nådde ingen "
        "mottagare. Se Notiser utan mottagare.",
        url="/admin/notiser-utan-mottagare",
        purpose="utan_mottagare",
    )
    db.session.flush()


def bulk_mail_after() -> int:
    return int(current_app.config.get("NOTIFY_BULK_MAIL_AFTER", 3))


def mail_in_bulk(told: Told, purpose: str, title: str | None = None) -> None:
    """The mails of notifications made in bulk (`notify_in_bulk`, escalation), as `notify`
    would make them, except that a person with more than NOTIFY_BULK_MAIL_AFTER of them gets
    one mail listing the items (`title`, e.g. "Försenat ärende", names them; by default the
    purpose's subject). A constant number of queries: the users, their mail preferences, the
    digest entries and the mails."""
    if not told:
        return
    digest_rows = []
    mails: list[OutboxMail] = []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(told)))}
    modes = mail_modes(told)
    for user_id, notes in told.items():
        user = users[user_id]
        mode = modes[user_id]
        if mode == MailMode.SAMMANDRAG:
            digest_rows += [{"notification_id": n, "user_id": user_id} for n, _ in notes]
        elif mode == MailMode.DIREKT and len(notes) <= bulk_mail_after():
            mails += [_notice_mail(user, ref, None, purpose) for _, ref in notes]
        elif mode == MailMode.DIREKT:
            mails.append(_summary_mail(user, notes, purpose, title))
    _queue_mails(mails)
    if digest_rows:
        db.session.execute(insert(DigestEntry), digest_rows)
    db.session.flush()


def _summary_mail(
    user: User, notes: list[tuple[int, str]], purpose: str, title: str | None = None
) -> OutboxMail:
    """One mail about many notifications of one kind: the reference numbers and links (at
    most NOTIFY_DIGEST_MAX_ITEMS), nothing else."""
    refs = sorted({ref for _, ref in notes})
    shown = int(current_app.config.get("NOTIFY_DIGEST_MAX_ITEMS", 100))
    title = title or PURPOSE_SUBJECTS.get(purpose, "Notiser")
    lines = ["Hej!", "", f"Du har {len(notes)} nya notiser i Kvalitet ({title.lower()}).", "",
             "Ärenden:"]  # fmt: skip
    lines += [f"  {ref}  {base_url()}/arende/{ref}" for ref in refs[:shown]]
    if len(refs) > shown:
        lines.append(f"  … och {len(refs) - shown} till.")
    lines += [
        "",
        f"Alla notiser: {base_url()}/notiser",
        "",
        "Av sekretesskäl står inga uppgifter om ärendena i e-postmeddelandet.",
        f"Inställningar för e-post: {base_url()}/notiser/installningar",
    ]
    subject = f"Kvalitet: {title} ({len(notes)} ärenden)"
    return OutboxMail(user_id=user.id, to_addr=user.email, subject=subject[:200],
                      body="\n".join(lines), purpose=purpose,
                      next_attempt_at=clock.now())  # fmt: skip


def undeliverable(include_handled: bool = False) -> Select[tuple[UndeliverableNotice]]:
    query = select(UndeliverableNotice).order_by(UndeliverableNotice.id.desc())
    if not include_handled:
        query = query.where(UndeliverableNotice.handled_at.is_(None))
    return query


def undeliverable_count() -> int:
    return int(
        db.session.scalar(
            select(func.count(UndeliverableNotice.id)).where(
                UndeliverableNotice.handled_at.is_(None)
            )
        )
        or 0
    )


def mark_undeliverable_handled(actor: User, notice: UndeliverableNotice) -> None:
    """An admin has taken care of a notice that reached no one (told someone, fixed roles)."""
    with transaction():
        if notice.handled_at is not None:
            return
        notice.handled_at = clock.now()
        notice.handled_by_id = actor.id
        audit.record(actor, "undeliverable_handled", item=notice.item,
                     summary="Markerade en notis utan mottagare som hanterad")  # fmt: skip


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMail.status, func.count(OutboxMail.id)).group_by(OutboxMail.status)
    ).all()
    counts: dict[str, int] = {str(s): 0 for s in OutboxStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def summary() -> dict[str, Any]:
    return {"outbox": outbox_counts()}

"""Queueing notifications, the e-mail outbox, digests, reminders and escalation.

Operations call `notify` inside their transaction: the in-app notification, and the mail (or
the digest entry) for users who want mail, are added to the same session and committed with
the change that caused them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import smtplib
import time
from collections.abc import Iterable
from datetime import date, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from kvalitet.core import audit, clock
from kvalitet.core.errors import OperationError
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
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
)
from kvalitet.org.models import User
from kvalitet.org.operations import chefs_of

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import User

log = logging.getLogger(__name__)

PURPOSE_SUBJECTS = {
    "paminnelse": "Påminnelse",
    "eskalering": "Försenat ärende",
    "sammandrag": "Dagligt sammandrag",
}


# --- notifications ------------------------------------------------------------------------


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
            db.session.add(mail_for_notification(user_obj, note))
        elif mode == MailMode.SAMMANDRAG:
            db.session.add(DigestEntry(notification=note, user_id=user_obj.id))
    return created


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(user: User, notification_ids: list[int] | None = None) -> None:
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    db.session.execute(query.values(read_at=clock.now()))
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
    if note.item is not None:
        return f"{base_url()}/arende/{note.item.ref}"
    if note.url and note.url.startswith("/"):
        return base_url() + note.url
    return f"{base_url()}/notiser"


def mail_for_notification(user: User, note: Notification) -> OutboxMail:
    """One mail for one notification: the reference number and a link, nothing else."""
    ref = note.item.ref if note.item is not None else None
    prefix = PURPOSE_SUBJECTS.get(note.purpose, "Ny notis")
    subject = f"Kvalitet: {prefix}" + (f" {ref}" if ref else "")
    lines = [
        "Hej!",
        "",
        f"Du har en ny notis i Kvalitet{f' om ärende {ref}' if ref else ''}.",
        f"Öppna: {link_for(note)}",
        "",
        "Av sekretesskäl står inga uppgifter om ärendet i e-postmeddelandet.",
        f"Inställningar för e-post: {base_url()}/notiser/installningar",
    ]
    return OutboxMail(
        user_id=user.id, to_addr=user.email, subject=subject[:200], body="\n".join(lines),
        purpose=note.purpose, next_attempt_at=clock.now(),
    )  # fmt: skip


def make_digests() -> int:
    """One digest mail per user with waiting digest entries, once a day after DIGEST_HOUR
    (local time). The mail, the removal of the entries and a per-user-and-day key are one
    transaction, so a digest is never made twice nor lost."""

    local = clock.local_now()
    if local.hour < int(current_app.config.get("NOTIFY_DIGEST_HOUR", 7)):
        return 0
    day = local.date()
    user_ids = list(db.session.scalars(select(DigestEntry.user_id).distinct()))
    made = 0
    for user_id in user_ids:
        key = f"sammandrag:{user_id}:{day.isoformat()}"
        if db.session.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
            continue
        user = db.session.get(User, user_id)
        entries = list(
            db.session.scalars(
                select(DigestEntry).where(DigestEntry.user_id == user_id).with_for_update()
            )
        )
        if not entries:
            continue
        if user is None or not user.active:
            db.session.execute(delete(DigestEntry).where(DigestEntry.user_id == user_id))
            db.session.commit()
            continue
        refs = sorted({e.notification.item.ref for e in entries if e.notification.item})
        lines = [
            "Hej!",
            "",
            f"Du har {len(entries)} nya notiser i Kvalitet.",
        ]
        if refs:
            lines += ["", "Ärenden:"] + [f"  {ref}  {base_url()}/arende/{ref}" for ref in refs]
        lines += [
            "",
            f"Alla notiser: {base_url()}/notiser",
            "",
            "Av sekretesskäl står inga uppgifter om ärendena i e-postmeddelandet.",
            f"Inställningar för e-post: {base_url()}/notiser/installningar",
        ]
        db.session.add(
            OutboxMail(
                user_id=user_id, to_addr=user.email, purpose="sammandrag",
                subject=f"Kvalitet: Dagligt sammandrag {day.isoformat()}",
                body="\n".join(lines), dedupe_key=key, next_attempt_at=clock.now(),
            )
        )  # fmt: skip
        ids = [e.notification_id for e in entries]
        db.session.execute(delete(DigestEntry).where(DigestEntry.notification_id.in_(ids)))
        try:
            db.session.commit()
            made += 1
        except IntegrityError:  # another process made it at the same moment
            db.session.rollback()
    return made


def _retry_delay(attempts: int) -> timedelta:
    base = int(current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60))
    cap = int(current_app.config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _defer(mail: OutboxMail, error: Exception) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:500]
    mail.next_attempt_at = clock.now() + _retry_delay(mail.attempts)


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
    db.session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(OutboxMail, mail_id)


def _mark_sent(mail_id: int) -> None:
    for attempt in range(10):
        try:
            db.session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id)
                .values(
                    status=OutboxStatus.SKICKAD,
                    sent_at=clock.now(),
                    attempts=OutboxMail.attempts + 1,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            return
        except OperationalError:  # SQLite busy: the mail is sent, keep trying to mark it
            db.session.rollback()
            time.sleep(0.1 * (attempt + 1))
    raise RuntimeError(f"could not mark outbox mail {mail_id} as sent")


def send_outbox(limit: int = 200) -> dict[str, int]:
    """Send waiting mails whose time has come. Each row is marked sent and committed right
    after the server accepted it. When the server cannot be reached the rows wait and are
    retried with exponential backoff; a recipient refused for good is marked failed.
    Without MAIL_SERVER nothing is sent (admins read the outbox in the app)."""
    result = {"sent": 0, "deferred": 0, "failed": 0}
    if not current_app.config.get("MAIL_SERVER"):
        return result
    ids = list(
        db.session.scalars(
            select(OutboxMail.id)
            .where(
                OutboxMail.status == OutboxStatus.VANTAR, OutboxMail.next_attempt_at <= clock.now()
            )
            .order_by(OutboxMail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    if not ids:
        return result
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail server unreachable: %s", error)
        for waiting in db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids))):
            _defer(waiting, error)
            result["deferred"] += 1
        db.session.commit()
        return result
    try:
        for index, mail_id in enumerate(ids):
            mail = _claim(mail_id)
            if mail is None:  # sent or claimed by another sender meanwhile
                continue
            message = _message(mail)
            db.session.commit()  # end the read; the marking below starts with a write
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                mail.status = OutboxStatus.MISSLYCKAD
                mail.attempts += 1
                mail.last_error = f"Mottagaren avvisades: {error.recipients}"[:500]
                db.session.commit()
                result["failed"] += 1
                continue
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail sending failed: %s", error)
                rest = ids[index:]
                for waiting in db.session.scalars(
                    select(OutboxMail).where(
                        OutboxMail.id.in_(rest), OutboxMail.status == OutboxStatus.VANTAR
                    )
                ):
                    _defer(waiting, error)
                    result["deferred"] += 1
                db.session.commit()
                break
            _mark_sent(mail_id)
            result["sent"] += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    return result


def retry_mail(actor: User, mail: OutboxMail) -> None:
    """An admin puts a failed or waiting mail back to be sent at once."""

    with transaction():
        if mail.status == OutboxStatus.SKICKAD:
            return
        mail.status = OutboxStatus.VANTAR
        mail.next_attempt_at = clock.now()
        audit.record(actor, "outbox_retry", target=f"outbox:{mail.id}",
                     summary="Skickar e-postmeddelandet igen")  # fmt: skip


# --- reminders and escalation -------------------------------------------------------------


def reminder_offsets() -> list[int]:
    raw = current_app.config.get("REMINDER_OFFSETS_DAYS", [7, 1, 0])
    return sorted({int(x) for x in raw if int(x) >= 0})


def _make_once(item: Item, purpose: str, offset: int, users: list[User], message: str) -> bool:
    """Insert the reminder key and the notifications in one transaction; False if the key
    existed (another run made this reminder)."""
    assert item.due_date is not None
    due, item_id = item.due_date, item.id
    user_ids = [u.id for u in users]
    for attempt in range(6):
        try:
            db.session.add(
                ReminderKey(item_id=item_id, purpose=purpose, due_date=due, offset_days=offset)
            )
            db.session.flush()
            notify(user_ids, message, item=item, purpose=purpose)
            db.session.commit()
        except IntegrityError:  # made by another run: the key is the guarantee
            db.session.rollback()
            return False
        except OperationalError:  # SQLite: another writer got there first; try again
            db.session.rollback()
            time.sleep(0.05 * (attempt + 1))
            continue
        return True
    return False


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
        if _make_once(item, "paminnelse", offset, [item.owner], message):
            made += 1
    return made


def escalate_overdue() -> int:
    """Tell the owner's chef (kvalitet.org.operations.chefs_of, the level above if the owner
    is the chef) once about each item still open ESCALATE_AFTER_DAYS days after its due date.
    Catches up after downtime: any overdue item not yet escalated is escalated."""

    after = int(current_app.config.get("ESCALATE_AFTER_DAYS", 3))
    today = clock.today()
    rows = db.session.execute(
        select(Item.id, Item.due_date).where(
            open_clause(),
            Item.owner_id.is_not(None),
            Item.due_date.is_not(None),
            Item.due_date <= today - timedelta(days=after),
        )
    ).all()
    done = _existing_keys([r[0] for r in rows], "eskalering")
    made = 0
    for item_id, due in rows:
        if (item_id, due, after) in done:
            continue
        item = db.session.get(Item, item_id)
        if item is None:
            continue
        chefs = [c for c in chefs_of(item.unit) if c.id != item.owner_id]
        unit = item.unit.parent
        while not chefs and unit is not None:
            chefs = [c for c in chefs_of(unit) if c.id != item.owner_id]
            unit = unit.parent
        owner_name = item.owner.name if item.owner else "ansvarig"
        message = f"{item.ref} är försenat sedan {due.isoformat()} (ansvarig: {owner_name})."
        if _make_once(item, "eskalering", after, chefs, message):
            made += 1
    return made


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMail.status, func.count(OutboxMail.id)).group_by(OutboxMail.status)
    ).all()
    counts: dict[str, int] = {str(s): 0 for s in OutboxStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def summary() -> dict[str, Any]:
    return {"outbox": outbox_counts()}

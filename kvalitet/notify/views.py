"""Notification settings (mail or digest, calendar feed), the calendar feed itself and the
admins' view of the outbox."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select

from kvalitet.core.errors import OperationError
from kvalitet.core.web import apply_operation_error, arg_int, safe_next
from kvalitet.extensions import db, limiter
from kvalitet.items.queries import paginate
from kvalitet.notify import operations
from kvalitet.notify.calendar import feed
from kvalitet.notify.forms import PreferenceForm
from kvalitet.notify.models import Notification, OutboxMail, OutboxStatus, UndeliverableNotice

bp = Blueprint("notify", __name__)


@bp.route("/notiser/installningar", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    form = PreferenceForm()
    if request.method == "GET":
        form.mail_mode.data = operations.mail_mode(current_user)
    elif form.validate_on_submit():
        try:
            operations.set_mail_mode(current_user, form.mail_mode.data or "")
        except OperationError as error:
            apply_operation_error(form, error)
        else:
            flash("Inställningen är sparad.", "success")
            return redirect(url_for("notify.settings"))
    pref = operations.preference(current_user)
    # The secret exists only in the response right after it was made (only its hash is kept).
    token = session.pop(NEW_CALENDAR_TOKEN, None)
    feed_url = (
        operations.base_url() + url_for("notify.calendar_feed", token=token) if token else None
    )
    status = 422 if form.errors else 200
    return render_template(
        "notify/settings.html", form=form, feed_url=feed_url, pref=pref, empty=FlaskForm()
    ), status


NEW_CALENDAR_TOKEN = "_new_calendar_token"  # noqa: S105 a session key name, not a secret


@bp.route("/notiser/kalender", methods=["POST"])
@login_required
def calendar_token() -> Any:
    if not FlaskForm().validate_on_submit():
        abort(400)
    if request.form.get("action") == "stang":
        operations.revoke_calendar_token(current_user)
        flash("Kalenderlänken är avstängd. Den gamla adressen fungerar inte längre.", "success")
    else:
        session[NEW_CALENDAR_TOKEN] = operations.new_calendar_token(current_user)
        flash("En ny kalenderlänk är skapad. En tidigare adress fungerar inte längre.", "success")
    return redirect(url_for("notify.settings"))


@bp.route("/kalender/<token>.ics")
@limiter.limit("60 per minute")
def calendar_feed(token: str) -> Any:
    user = operations.user_for_calendar_token(token)
    if user is None:
        abort(404)
    body = feed(user, str(current_app.config.get("ORGANISATION_NAME", "")))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=kvalitet.ics"},
    )


def _admin_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/admin/utkorg")
@login_required
def outbox() -> Any:
    _admin_only()
    status = request.args.get("status", "")
    query = select(OutboxMail).order_by(OutboxMail.id.desc())
    if status in set(OutboxStatus):
        query = query.where(OutboxMail.status == status)
    return render_template(
        "notify/outbox.html", pagination=paginate(query), status=status,
        counts=operations.outbox_counts(),
        mail_server=current_app.config.get("MAIL_SERVER"),
    )  # fmt: skip


@bp.route("/admin/utkorg/problem")
@login_required
def outbox_problems() -> Any:
    """Mail refused for good (with the server's answer) and mail waiting for a retry."""
    _admin_only()
    query = (
        select(OutboxMail)
        .where(
            or_(
                OutboxMail.status == OutboxStatus.MISSLYCKAD,
                (OutboxMail.status == OutboxStatus.VANTAR) & (OutboxMail.attempts > 0),
            )
        )
        .order_by(OutboxMail.status, OutboxMail.id.desc())
    )
    return render_template(
        "notify/outbox_problems.html", pagination=paginate(query), empty=FlaskForm()
    )


@bp.route("/admin/notiser-utan-mottagare", methods=["GET", "POST"])
@login_required
def undeliverable() -> Any:
    """Reminders and escalations that found no one to tell."""
    _admin_only()
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        notice = db.session.get(UndeliverableNotice, arg_int(request.form.get("notice")) or 0)
        if notice is None:
            abort(404)
        operations.mark_undeliverable_handled(current_user, notice)
        flash("Notisen är markerad som hanterad.", "success")
        return redirect(url_for("notify.undeliverable"))
    show_all = request.args.get("visa") == "alla"
    return render_template(
        "notify/undeliverable.html",
        pagination=paginate(operations.undeliverable(include_handled=show_all)),
        show_all=show_all, empty=FlaskForm(),
    )  # fmt: skip


@bp.route("/admin/utkorg/<int:mail_id>", methods=["GET", "POST"])
@login_required
def outbox_mail(mail_id: int) -> Any:
    _admin_only()
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        operations.retry_mail(current_user, mail)
        flash("E-postmeddelandet skickas vid nästa utskick.", "success")
        return redirect(
            safe_next(request.form.get("next"), url_for("notify.outbox_mail", mail_id=mail.id))
        )
    return render_template("notify/outbox_mail.html", mail=mail, empty=FlaskForm())


# --- the bell list ------------------------------------------------------------------------


@bp.route("/notiser")
@login_required
def notifications() -> Any:
    pagination = paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return render_template("notify/notifications.html", pagination=pagination)


@bp.route("/notiser/lasta", methods=["POST"])
@login_required
def notifications_read() -> Any:
    operations.mark_read(current_user)
    flash("Alla notiser är markerade som lästa.", "success")
    return redirect(url_for("notify.notifications"))

"""Mina ärenden, the unit overview, and the routes every item kind shares: comments, links,
attachments, cancellation, workflow steps, notifications."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from kvalitet.core import uow
from kvalitet.core.errors import ConflictError, Forbidden, OperationError
from kvalitet.core.permissions import require, role_paths
from kvalitet.core.registry import kind_spec
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.web import form_version
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items import operations
from kvalitet.items.forms import quality_area_choices
from kvalitet.items.models import Attachment, Item
from kvalitet.items.queries import (
    detail_url,
    inbox_counts,
    inbox_query,
    load_item,
    log_read_if_needed,
    paginate,
    unit_overview,
)

bp = Blueprint("items", __name__)

SECTIONS = {
    "alla": "Alla mina ärenden",
    "forsenade": "Försenade",
    "snart": "Förfaller inom 14 dagar",
}


@bp.route("/")
@login_required
def inbox() -> Any:
    section = request.args.get("visa", "alla")
    if section not in SECTIONS:
        section = "alla"
    counts = inbox_counts(current_user)
    pagination = paginate(inbox_query(current_user, section), total=counts[section])
    return render_template(
        "items/inbox.html",
        pagination=pagination,
        section=section,
        sections=SECTIONS,
        counts=counts,
    )


@bp.route("/enheter")
@login_required
def units() -> Any:
    roles = [*CHEF_ROLES, Role.KVALITETSUTVECKLARE, Role.SAS, Role.MAS]
    paths = role_paths(current_user, roles)
    if not paths:
        abort(403)
    return render_template("items/units.html", rows=unit_overview(current_user, paths))


@bp.route("/arende/<ref>")
@login_required
def open_ref(ref: str) -> Any:
    item: Item = load_item(ref, current_user)
    return redirect(detail_url(item))


def _back(item: Item) -> Any:
    return redirect(detail_url(item))


# The kinds whose case page draws its own forms from the item when another form was sent
# (kvalitet.items.steps.page_form / fresh), so that it can be drawn again for a refused
# panel form; the others get the message at the top instead.
RERENDERED = {"AVV", "SYN", "ATG", "RSK", "LXS"}


def _refused(item: Item, form: str, exc: OperationError) -> Any:
    """A refused form of the shared panel: the case page again, with the typed input kept
    and the message next to the field (`panel_error`), nothing saved; its other forms show
    their values as usual. Other kinds (see RERENDERED) get the message at the top of their
    case page instead."""
    db.session.rollback()
    item = load_item(item.id, current_user)
    endpoint: str = kind_spec(item.kind).endpoint
    rules = list(current_app.url_map.iter_rules(endpoint))
    takes_posts = any("POST" in (rule.methods or ()) for rule in rules)
    if item.kind not in RERENDERED or takes_posts or any("ref" not in r.arguments for r in rules):
        flash(exc.message, "danger")
        return _back(item)
    g.panel_error = (form, exc.message)
    response = make_response(current_app.view_functions[endpoint](ref=item.ref))
    response.status_code = 403 if isinstance(exc, Forbidden) else 422
    return response


@bp.app_template_global("panel_error")
def panel_error(form: str) -> str | None:
    """The message of the panel's form `form` when it was just refused (see `_refused`)."""
    refused = g.get("panel_error")
    return refused[1] if refused and refused[0] == form else None


@bp.route("/arende/<int:item_id>/kommentar", methods=["POST"])
@login_required
def comment(item_id: int) -> Any:
    item: Item = load_item(item_id, current_user)
    try:
        operations.add_comment(item, current_user, request.form.get("body", ""))
    except Forbidden:
        raise
    except OperationError as exc:
        return _refused(item, "comment", exc)
    else:
        flash("Kommentaren är sparad.", "success")
    return _back(item)


@bp.route("/arende/<int:item_id>/koppla", methods=["POST"])
@login_required
def link(item_id: int) -> Any:
    item: Item = load_item(item_id, current_user)
    target_ref = (request.form.get("target") or "").strip().upper()
    try:
        target = (
            db.session.scalar(select(Item).where(Item.ref == target_ref)) if target_ref else None
        )
        if target is None:
            raise OperationError("Hittar inget ärende med det numret som du har tillgång till.")
        operations.link_items(
            item, target, current_user, request.form.get("link_type", "relaterad")
        )
    except OperationError as exc:
        # Do not reveal whether an invisible item exists.
        if isinstance(exc, Forbidden):
            raise
        if exc.status_code == 404:
            exc = OperationError("Hittar inget ärende med det numret som du har tillgång till.")
        return _refused(item, "link", exc)
    else:
        flash(f"Kopplade {target.ref}.", "success")
    return _back(item)


@bp.route("/arende/<int:item_id>/bilaga", methods=["POST"])
@login_required
def upload(item_id: int) -> Any:
    item: Item = load_item(item_id, current_user)
    upload_file = request.files.get("file")
    try:
        if upload_file is None or not upload_file.filename:
            raise OperationError("Välj en fil att bifoga.", field="file")
        operations.add_attachment(item, current_user, upload_file.filename, upload_file.stream)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash("Filen är bifogad.", "success")
    return _back(item)


@bp.route("/bilaga/<int:attachment_id>")
@login_required
@uow.writes  # writes the read log of sensitive kinds
def download(attachment_id: int) -> Any:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    item = db.session.get(Item, attachment.item_id)
    assert item is not None
    require(current_user, "view", item)
    path = operations.attachment_path(attachment)
    if not path.exists():
        abort(404)
    # The read log of sensitive kinds (lex Sarah), written before the file is sent: no row,
    # no file.
    log_read_if_needed(current_user, item)
    return send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.route("/arende/<int:item_id>/makulera", methods=["POST"])
@login_required
def cancel(item_id: int) -> Any:
    item: Item = load_item(item_id, current_user)
    try:
        operations.cancel_item(item, current_user, request.form.get("reason", ""), form_version())
    except (ConflictError, Forbidden):
        raise
    except OperationError as exc:
        return _refused(item, "cancel", exc)
    else:
        flash(f"{item.ref} är makulerat.", "success")
    return _back(item)


bp.add_app_template_global(quality_area_choices, "quality_area_choices")


@bp.route("/arende/<int:item_id>/kvalitetsomraden", methods=["POST"])
@login_required
def quality_areas(item_id: int) -> Any:
    item: Item = load_item(item_id, current_user)
    try:
        operations.change_quality_areas(
            item,
            current_user,
            operations.parse_area_ids(request.form.getlist("quality_area_ids")),
            expected_version=form_version(),
        )
    except (ConflictError, Forbidden):
        raise  # the conflict page (409) or the refusal (403), not a flash
    except OperationError as exc:
        return _refused(item, "areas", exc)
    else:
        flash("Kvalitetsområdena är sparade.", "success")
    return _back(item)


@bp.route("/arende/<int:item_id>/steg/<name>", methods=["POST"])
@login_required
def transition(item_id: int, name: str) -> Any:
    item: Item = load_item(item_id, current_user)
    try:
        run_transition(
            item,
            name,
            current_user,
            reason=request.form.get("reason"),
            expected_version=form_version(),
        )
    except ConflictError:
        raise  # someone took a step first: the conflict page (409), not a flash
    except OperationError as exc:
        return _refused(item, f"step:{name}", exc)
    else:
        flash(f"{item.ref}: {item.status_label}.", "success")
    return _back(item)

"""Admin pages. Only users with the admin role (or kvalitetsutvecklare for lists)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from kvalitet.admin import operations as list_operations
from kvalitet.admin.forms import UnitLifeForm
from kvalitet.core.audit import AuditEntry
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.core.web import apply_operation_error
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry, QualityArea
from kvalitet.items.queries import paginate
from kvalitet.org import operations
from kvalitet.org.forms import RoleForm, UserForm
from kvalitet.org.models import UNIT_KIND_LABELS, RoleAssignment, Unit, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        return fn(*args, **kwargs)

    return wrapper


def lists_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.has_role(Role.ADMIN, Role.KVALITETSUTVECKLARE):
            abort(403)
        return fn(*args, **kwargs)

    return wrapper


def _get_or_404(model: Any, ident: int) -> Any:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


# --- units -----------------------------------------------------------------------------


def _unit_form(form: UnitLifeForm, exclude: Unit | None = None) -> UnitLifeForm:
    form.kind.choices = [(k.value, label) for k, label in UNIT_KIND_LABELS.items()]
    choices = [
        (uid, label)
        for uid, label in operations.unit_choices()
        if exclude is None or not _is_in(uid, exclude)
    ]
    form.parent_id.choices = [(0, "— Ingen (högst upp) —"), *choices]
    return form


def _is_in(unit_id: int, root: Unit) -> bool:
    unit = db.session.get(Unit, unit_id)
    return bool(unit and unit.path.startswith(root.path))


@bp.route("/enheter")
@admin_required
def units() -> Any:
    all_units = list(db.session.scalars(select(Unit).order_by(Unit.path)))
    order = {uid: i for i, (uid, _) in enumerate(operations.unit_choices(False, all_units))}
    all_units.sort(key=lambda u: order.get(u.id, 0))
    return render_template("admin/units.html", units=all_units)


@bp.route("/enheter/ny", methods=["GET", "POST"])
@admin_required
def unit_new() -> Any:
    form = _unit_form(UnitLifeForm())
    if request.method == "GET" and request.args.get("parent", "").isdigit():
        form.parent_id.data = int(request.args["parent"])
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            list_operations.check_unit_life_dates(form.founded_on.data, form.closed_on.data)
            unit = operations.create_unit(
                current_user, form.name.data or "", form.kind.data or "", parent, form.public.data
            )
            list_operations.set_unit_life(
                current_user, unit, form.founded_on.data, form.closed_on.data
            )
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
        else:
            flash(f"Enheten {unit.name} är skapad.", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/enheter/<int:unit_id>", methods=["GET", "POST"])
@admin_required
def unit_edit(unit_id: int) -> Any:
    unit = _get_or_404(Unit, unit_id)
    form = _unit_form(UnitLifeForm(obj=unit), exclude=unit)
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data) if form.parent_id.data else None
        try:
            list_operations.check_unit_life_dates(form.founded_on.data, form.closed_on.data)
            operations.update_unit(
                current_user,
                unit,
                name=form.name.data or "",
                kind=form.kind.data or "",
                public=form.public.data,
                parent=parent,
            )
            list_operations.set_unit_life(
                current_user, unit, form.founded_on.data, form.closed_on.data
            )
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
        else:
            flash("Enheten är sparad.", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.route("/enheter/<int:unit_id>/aktiv", methods=["POST"])
@admin_required
def unit_active(unit_id: int) -> Any:
    unit = _get_or_404(Unit, unit_id)
    try:
        operations.set_unit_active(current_user, unit, request.form.get("active") == "1")
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash("Enheten är " + ("aktiverad." if unit.active else "inaktiverad."), "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


@bp.route("/enheter/<int:unit_id>/ta-bort", methods=["POST"])
@admin_required
def unit_delete(unit_id: int) -> Any:
    unit = _get_or_404(Unit, unit_id)
    try:
        operations.delete_unit(current_user, unit)
    except OperationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    flash("Enheten är borttagen.", "success")
    return redirect(url_for("admin.units"))


# --- users ----------------------------------------------------------------------------


def _user_form(form: UserForm) -> UserForm:
    form.home_unit_id.choices = [(0, "— Ingen —"), *operations.unit_choices()]
    return form


@bp.route("/anvandare")
@admin_required
def users() -> Any:
    query = select(User).order_by(User.name)
    q = (request.args.get("q") or "").strip()
    if q:
        query = query.where(or_(contains_folded(User.name, q), contains_folded(User.email, q)))
    return render_template("admin/users.html", pagination=paginate(query), q=q)


@bp.route("/anvandare/ny", methods=["GET", "POST"])
@admin_required
def user_new() -> Any:
    form = _user_form(UserForm())
    if form.validate_on_submit():
        try:
            if not form.password.data:
                raise OperationError("Ange ett första lösenord.", field="password")
            user = operations.create_user(
                current_user,
                name=form.name.data or "",
                email=form.email.data or "",
                title=form.title.data or "",
                password=form.password.data,
                home_unit=db.session.get(Unit, form.home_unit_id.data)
                if form.home_unit_id.data
                else None,
            )
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
        else:
            flash(f"{user.name} är skapad. Ge personen en roll nedan.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None, role_form=None)


@bp.route("/anvandare/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int) -> Any:
    user = _get_or_404(User, user_id)
    form = _user_form(UserForm(obj=user))
    if request.method == "GET":
        form.home_unit_id.data = user.home_unit_id or 0
    if form.validate_on_submit():
        try:
            operations.update_user(
                current_user,
                user,
                name=form.name.data,
                email=form.email.data,
                title=form.title.data,
                active=form.active.data,
                home_unit_id=form.home_unit_id.data or None,
                password=form.password.data or None,
            )
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            flash("Användaren är sparad.", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    role_form = RoleForm(prefix="role")
    role_form.role.choices = [(r.value, label) for r, label in ROLE_LABELS.items()]
    role_form.unit_id.choices = operations.unit_choices()
    return render_template("admin/user_form.html", form=form, user=user, role_form=role_form)


@bp.route("/anvandare/<int:user_id>/roller", methods=["POST"])
@admin_required
def role_add(user_id: int) -> Any:
    user = _get_or_404(User, user_id)
    role_form = RoleForm(prefix="role")
    role_form.role.choices = [(r.value, label) for r, label in ROLE_LABELS.items()]
    role_form.unit_id.choices = operations.unit_choices()
    if role_form.validate_on_submit():
        unit = db.session.get(Unit, role_form.unit_id.data)
        try:
            if unit is None:
                raise OperationError("Välj en enhet.")
            operations.grant_role(current_user, user, role_form.role.data or "", unit)
        except OperationError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash("Rollen är tillagd.", "success")
    else:
        flash("Välj roll och enhet.", "danger")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/roller/<int:assignment_id>/ta-bort", methods=["POST"])
@admin_required
def role_remove(assignment_id: int) -> Any:
    assignment = _get_or_404(RoleAssignment, assignment_id)
    user_id = assignment.user_id
    operations.revoke_role(current_user, assignment)
    flash("Rollen är borttagen.", "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# --- audit ----------------------------------------------------------------------------


@bp.route("/logg")
@admin_required
def audit_log() -> Any:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    q = (request.args.get("q") or "").strip()
    action = (request.args.get("action") or "").strip()
    user_q = (request.args.get("user") or "").strip()
    if q:
        ref_ids = select(Item.id).where(contains_folded(Item.ref, q))
        query = query.where(
            or_(
                contains_folded(AuditEntry.summary, q),
                AuditEntry.item_id.in_(ref_ids),
                contains_folded(AuditEntry.target, q),
            )
        )
    if action:
        query = query.where(AuditEntry.action == action)
    if user_q:
        user_ids = select(User.id).where(
            or_(contains_folded(User.name, user_q), contains_folded(User.email, user_q))
        )
        query = query.where(AuditEntry.user_id.in_(user_ids))
    return render_template(
        "admin/audit.html", pagination=paginate(query, 50), q=q, action=action, user_q=user_q
    )


# --- configurable lists -------------------------------------------------------------------

LIST_TITLES: dict[str, str] = {}


def register_list(key: str, title: str) -> None:
    """Kinds call this to make one of their lists editable at /admin/listor."""
    LIST_TITLES[key] = title


@bp.route("/listor", methods=["GET", "POST"])
@lists_required
def lists() -> Any:
    if request.method == "POST":
        try:
            list_operations.add_list_value(
                current_user,
                request.form.get("list_key", ""),
                request.form.get("label", ""),
                set(LIST_TITLES),
            )
        except OperationError as exc:
            flash(exc.message, "danger")
        else:
            flash("Värdet är tillagt.", "success")
        return redirect(url_for("admin.lists"))
    entries: dict[str, list[ListEntry]] = {key: [] for key in LIST_TITLES}
    for entry in db.session.scalars(select(ListEntry).order_by(ListEntry.sort_order, ListEntry.id)):
        entries.setdefault(entry.list_key, []).append(entry)
    areas = db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order)).all()
    return render_template("admin/lists.html", entries=entries, titles=LIST_TITLES, areas=areas)


@bp.route("/listor/<kind>/<int:entry_id>/aktiv", methods=["POST"])
@lists_required
def list_toggle(kind: str, entry_id: int) -> Any:
    value = _get_or_404(QualityArea if kind == "quality_area" else ListEntry, entry_id)
    list_operations.toggle_list_value(current_user, value)
    flash("Ändringen är sparad.", "success")
    return redirect(url_for("admin.lists"))

"""Förbättringsåtgärder: list with filters and exports, create standalone or from any item,
detail with edit, what was done, effect follow-up and conscious deferral."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from kvalitet.atgarder import operations as ops
from kvalitet.atgarder.forms import AtgardForm, DeferForm, DoneForm, EffectForm
from kvalitet.atgarder.kinds import SPEC, WORKFLOW
from kvalitet.atgarder.models import ATGARD_TYP_LABELS, Atgard, AtgardTyp
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.core.permissions import can, holds_role_over, role_paths, visible_clause
from kvalitet.core.web import apply_operation_error, arg_date, arg_int, form_version
from kvalitet.extensions import db
from kvalitet.items.export import MAX_EXPORT_ROWS, export_args, export_response
from kvalitet.items.forms import active_quality_areas
from kvalitet.items.models import Item, QualityArea, item_quality_area
from kvalitet.items.queries import (
    detail_url,
    due_date_order,
    in_subtree,
    load_item,
    paginate,
    text_match,
    visible_links,
)
from kvalitet.items.steps import fresh, page_form
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import (
    active_units_under,
    people_near,
    read_active_units_under,
    unit_choices,
)

bp = Blueprint("atgarder", __name__, url_prefix="/atgarder")

SORTS: dict[str, tuple[str, Callable[[], list[Any]]]] = {
    "forfaller": ("Förfaller först", lambda: [*due_date_order(), Item.id]),
    "nyast": ("Senast skapad först", lambda: [Item.created_at.desc(), Item.id.desc()]),
    "status": ("Status", lambda: [Item.status, Item.due_date]),
    "nummer": ("Nummer", lambda: [Item.ref_year, Item.ref_seq]),
}


def list_filters(args: Any) -> dict[str, Any]:
    return {
        "enhet": arg_int(args.get("enhet")),
        "typ": args.get("typ") if args.get("typ") in set(AtgardTyp) else "",
        "status": args.get("status") if args.get("status") in WORKFLOW.states else "",
        "kvalitetsomrade": arg_int(args.get("kvalitetsomrade")),
        "fran": arg_date(args.get("fran")),
        "till": arg_date(args.get("till")),
        "q": (args.get("q") or "").strip()[:100],
        "sortering": args.get("sortering") if args.get("sortering") in SORTS else "forfaller",
        "mina": args.get("mina") == "1",
        "aterkommer": args.get("aterkommer") == "1",
        "forsenade": args.get("forsenade") == "1",
    }


def filtered_query(user: User, f: dict[str, Any]) -> Select[Any]:
    """Permission clause first, then the filters; the period filters the due date."""
    query = select(Atgard).where(visible_clause(user, [SPEC]))
    if f["enhet"]:
        unit = db.session.get(Unit, f["enhet"])
        if unit is not None:
            query = query.where(in_subtree(unit))
    if f["typ"]:
        query = query.where(Atgard.atgard_typ == f["typ"])
    if f["status"]:
        query = query.where(Item.status == f["status"])
    if f["kvalitetsomrade"]:
        query = query.where(
            Item.id.in_(
                select(item_quality_area.c.item_id).where(
                    item_quality_area.c.quality_area_id == f["kvalitetsomrade"]
                )
            )
        )
    if f["fran"]:
        query = query.where(Item.due_date >= f["fran"])
    if f["till"]:
        query = query.where(Item.due_date <= f["till"])
    if f["mina"]:
        query = query.where(Item.owner_id == user.id)
    if f["aterkommer"]:
        query = query.where(Atgard.carry_over.is_(True))
    if f["forsenade"]:
        query = query.where(
            Item.due_date < clock.today(),
            Item.status.in_(WORKFLOW.open_states),
            Item.cancelled_at.is_(None),
        )
    if f["q"]:
        query = query.where(text_match(f["q"], Atgard.done_text))
    return query.order_by(*SORTS[f["sortering"]][1]())


EXPORT_COLUMNS = [
    ("Nummer", lambda a: a.ref),
    ("Förbättringsåtgärd", lambda a: a.title),
    ("Typ", lambda a: a.typ_label),
    ("Enhet", lambda a: a.unit.name),
    ("Berörda enheter", lambda a: [u.name for u in a.units_concerned]),
    ("Kvalitetsområden", lambda a: [q.name for q in a.quality_areas]),
    ("Ansvarig", lambda a: a.owner.name if a.owner else ""),
    ("Status", lambda a: "Makulerad" if a.is_cancelled else a.status_label),
    ("Medvetet uppskjuten", lambda a: a.deferred),
    ("Startdatum", lambda a: a.start_date),
    ("Klart senast", lambda a: a.due_date),
    ("Vad som gjorts", lambda a: a.done_text),
    ("Uppföljning av effekt", lambda a: a.effect_text),
    ("Effekt uppföljd", lambda a: a.effect_date),
    ("Återkommer nästa år", lambda a: a.carry_over),
]


@bp.route("/")
@login_required
def index() -> Any:
    f = list_filters(request.args)
    query = filtered_query(current_user, f)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        items = query.limit(MAX_EXPORT_ROWS)  # streamed in batches
        return export_response(fmt, items, EXPORT_COLUMNS, f"forbattringsatgarder-{clock.today()}")
    areas = db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order)).all()
    return render_template(
        "atgarder/list.html",
        pagination=paginate(query),
        f=f,
        units=unit_choices(),
        types=ATGARD_TYP_LABELS,
        states=WORKFLOW.states,
        areas=areas,
        sorts={k: v[0] for k, v in SORTS.items()},
        export_args=export_args(),
        may_create=bool(active_units_under(role_paths(current_user, ops.CREATORS))),
    )


def _creatable_units() -> list[Unit]:
    return read_active_units_under(role_paths(current_user, ops.CREATORS))


def new_atgard_form(
    unit: Unit, prefix: str = "", units: list[Unit] | None = None, obj: Any = None
) -> AtgardForm:
    form = page_form(AtgardForm, prefix, obj=obj)
    all_units = unit_choices()
    form.unit_id.choices = (  # type: ignore[assignment]
        unit_choices(units=units) if units else all_units
    )
    form.units_concerned.choices = all_units  # type: ignore[assignment]
    form.owner_id.choices = [(0, "– ingen ännu –"), *people_near(unit, current_user)]  # type: ignore[assignment]
    form.quality_area_ids.choices = [  # type: ignore[assignment]
        (q.id, q.name) for q in active_quality_areas()
    ]
    if fresh(form):
        if obj is None:
            form.unit_id.data = unit.id
            form.owner_id.data = current_user.id
        else:
            form.unit_id.data = obj.unit_id
            form.owner_id.data = obj.owner_id or 0
            form.units_concerned.data = [u.id for u in obj.units_concerned]
            form.quality_area_ids.data = [q.id for q in obj.quality_areas]
    return form


def atgard_fields(form: AtgardForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "atgard_typ": form.atgard_typ.data,
        "description": form.description.data,
        "why": form.why.data,
        "unit": form.unit_id.data,
        "owner": form.owner_id.data or None,
        "units_concerned": list(form.units_concerned.data or []),
        "quality_area_ids": list(form.quality_area_ids.data or []),
        "start_date": form.start_date.data,
        "due_date": form.due_date.data,
        "source_text": form.source_text.data,
        "carry_over": form.carry_over.data,
    }


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """Standalone, or from any item with ?fran=REF (the action is linked to it)."""
    source: Item | None = None
    source_ref = request.values.get("fran")
    if source_ref:
        source = load_item(source_ref, current_user)
        if not can(current_user, "link", source):
            abort(403)
        units = None
        home: Unit = source.unit
    else:
        units = _creatable_units()
        if not units:
            abort(403)
        home = current_user.home_unit if current_user.home_unit in units else units[0]
    form = new_atgard_form(home, units=units)
    if form.validate_on_submit():
        try:
            item = ops.create_atgard(current_user, source=source, **atgard_fields(form))
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
        else:
            flash(f"Förbättringsåtgärd {item.ref} är skapad.", "success")
            return redirect(url_for("atgarder.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("atgarder/new.html", form=form, source=source), status


def _render_detail(item: Atgard, status: int = 200, **forms: Any) -> Any:
    # Each form is bound to the request only when it was the one sent: a refused form keeps
    # its input, the others the item's values and today's date (docs/atgarder.md).
    done = forms.pop("done_form", None) or page_form(DoneForm, "gjort", obj=item)
    effect = forms.pop("effect_form", None) or page_form(EffectForm, "effekt", obj=item)
    defer_form = forms.pop("defer_form", None) or page_form(DeferForm, "uppskjut")
    if effect.effect_date.data is None and fresh(effect):
        effect.effect_date.data = clock.today()
    return render_template(
        "atgarder/detail.html",
        item=item,
        can_edit=can(current_user, "edit", item),
        can_defer=holds_role_over(current_user, SPEC.manage_roles, item.unit),
        done_form=done,
        effect_form=effect,
        defer_form=defer_form,
        sources=_sources(item),
    ), status


def _sources(item: Atgard) -> list[Item]:

    return [
        link["item"]
        for link in visible_links(item, current_user)
        if link["direction"] == "in" and link["link"].link_type == "atgard"
    ]


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    return _render_detail(item)


@bp.route("/<ref>/andra", methods=["GET", "POST"])
@login_required
def edit(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    if not can(current_user, "edit", item):
        abort(403)
    form = new_atgard_form(item.unit, obj=item if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            ops.update_atgard(current_user, item, expected_version=form_version(),
                              **atgard_fields(form))  # fmt: skip
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
            item = load_item(ref, current_user, Atgard)
        else:
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("atgarder.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("atgarder/edit.html", form=form, item=item), status


@bp.route("/<ref>/gjort", methods=["POST"])
@login_required
def done(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    form = DoneForm(prefix="gjort")
    if form.validate_on_submit():
        try:
            ops.update_atgard(current_user, item, expected_version=form_version(),
                              done_text=form.done_text.data)  # fmt: skip
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
            return _render_detail(load_item(ref, current_user, Atgard), 422, done_form=form)
        flash("Sparat.", "success")
        return redirect(url_for("atgarder.detail", ref=item.ref))
    return _render_detail(item, 422, done_form=form)


@bp.route("/<ref>/effekt", methods=["POST"])
@login_required
def effect(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    form = EffectForm(prefix="effekt")
    if form.validate_on_submit():
        try:
            ops.follow_up_effect(
                current_user,
                item,
                form.effect_text.data or "",
                form.effect_date.data,
                expected_version=form_version(),
            )
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
            return _render_detail(load_item(ref, current_user, Atgard), 422, effect_form=form)
        flash("Uppföljningen av effekten är sparad.", "success")
        return redirect(url_for("atgarder.detail", ref=item.ref))
    return _render_detail(item, 422, effect_form=form)


@bp.route("/<ref>/uppskjuten", methods=["POST"])
@login_required
def defer(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    form = DeferForm(prefix="uppskjut")
    if not form.validate_on_submit():
        abort(400)
    deferred = request.form.get("deferred") == "1"
    try:
        ops.set_deferred(current_user, item, deferred, form.reason.data or "",
                         expected_version=form_version())  # fmt: skip
    except OperationError as exc:
        db.session.rollback()
        apply_operation_error(form, exc)
        return _render_detail(load_item(ref, current_user, Atgard), 422, defer_form=form)
    else:
        flash("Åtgärden är markerad som medvetet uppskjuten." if deferred
              else "Åtgärden är inte längre uppskjuten.", "success")  # fmt: skip
    return redirect(detail_url(item))

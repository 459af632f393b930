"""Avvikelser: quick report (phone), receipt, list with filters and exports, detail with
the chef's handling (investigator, analysis, severity, linked actions), statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from kvalitet.admin.views import register_list
from kvalitet.atgarder.views import atgard_fields, new_atgard_form
from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.forms import AnalysisForm, AssignForm, ReportForm, aware
from kvalitet.avvikelser.kinds import SPEC, WORKFLOW, open_actions
from kvalitet.avvikelser.models import (
    ALDERSGRUPPER,
    CATEGORY_LIST,
    KON_LABELS,
    NOTICED_HOW,
    Avvikelse,
)
from kvalitet.avvikelser.stats import statistics_with_previous
from kvalitet.core import clock, uow
from kvalitet.core.charts import bar_chart_svg
from kvalitet.core.errors import OperationError
from kvalitet.core.periods import (
    Period,
    current_quality_year,
    custom_period,
    parse_quality_year,
    recent_quality_years,
)
from kvalitet.core.permissions import (
    Detail,
    can,
    shown_statistics,
    statistics_detail,
    statistics_paths,
    visible_clause,
)
from kvalitet.core.web import apply_operation_error, arg_date, arg_int, form_version
from kvalitet.extensions import db
from kvalitet.items.areas import area_table
from kvalitet.items.export import MAX_EXPORT_ROWS, export_args, export_response
from kvalitet.items.forms import quality_area_choices
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.queries import (
    in_subtree,
    load_item,
    log_read_if_needed,
    paginate,
    text_match,
)
from kvalitet.items.scales import CONSEQUENCE_LABELS, LIKELIHOOD_LABELS, risk_level
from kvalitet.items.steps import fresh, page_form, run_step
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import people_near, unit_choices

bp = Blueprint("avvikelser", __name__, url_prefix="/avvikelser")

register_list(CATEGORY_LIST, "Kategorier för avvikelser")

SEVERITY_FILTER = {
    "1": "Låg (1–2)",
    "2": "Måttlig (3–6)",
    "3": "Hög (8–9)",
    "4": "Mycket hög (12–16)",
    "ej": "Ej bedömd",
}
SEVERITY_RANGES = {"1": (1, 2), "2": (3, 6), "3": (8, 9), "4": (12, 16)}
SORTS: dict[str, tuple[str, Callable[[], list[Any]]]] = {
    "nyast": ("Senast rapporterad först", lambda: [Item.created_at.desc(), Item.id.desc()]),
    "aldst": ("Äldst först", lambda: [Item.created_at, Item.id]),
    "allvarlighet": (
        "Allvarligast först",
        lambda: [Avvikelse.severity.is_(None), Avvikelse.severity.desc(), Item.created_at.desc()],
    ),
    "status": ("Status", lambda: [Item.status, Item.created_at.desc()]),
    "nummer": ("Nummer", lambda: [Item.ref_year, Item.ref_seq]),
}


def list_filters(args: Any) -> dict[str, Any]:
    return {
        "enhet": arg_int(args.get("enhet")),
        "kategori": arg_int(args.get("kategori")),
        "status": args.get("status") if args.get("status") in WORKFLOW.states else "",
        "allvarlighet": args.get("allvarlighet") if args.get("allvarlighet") in SEVERITY_FILTER
        else "",
        "fran": arg_date(args.get("fran")),
        "till": arg_date(args.get("till")),
        "q": (args.get("q") or "").strip()[:100],
        "sortering": args.get("sortering") if args.get("sortering") in SORTS else "nyast",
        "oppna": args.get("oppna") == "1",
    }  # fmt: skip


def filtered_query(user: User, f: dict[str, Any]) -> Select[Any]:
    """The list query: permission clause first, then the filters, in SQL."""
    query = select(Avvikelse).where(visible_clause(user, [SPEC]))
    if f["enhet"]:
        unit = db.session.get(Unit, f["enhet"])
        if unit is not None:
            query = query.where(in_subtree(unit))
    if f["kategori"]:
        query = query.where(Avvikelse.category_id == f["kategori"])
    if f["status"]:
        query = query.where(Item.status == f["status"])
    if f["oppna"]:
        query = query.where(Item.status.in_(WORKFLOW.open_states), Item.cancelled_at.is_(None))
    if f["allvarlighet"] == "ej":
        query = query.where(Avvikelse.severity.is_(None))
    elif f["allvarlighet"]:
        low, high = SEVERITY_RANGES[f["allvarlighet"]]
        query = query.where(Avvikelse.severity.between(low, high))
    if f["fran"]:
        query = query.where(Item.created_at >= clock.local_midnight_utc(f["fran"]))
    if f["till"]:
        query = query.where(Item.created_at < custom_period(f["till"], f["till"]).end_utc())
    if f["q"]:
        query = query.where(text_match(f["q"], Avvikelse.analysis))
    return query.order_by(*SORTS[f["sortering"]][1]())


EXPORT_COLUMNS = [
    ("Nummer", lambda a: a.ref),
    ("Rubrik", lambda a: a.title),
    ("Enhet", lambda a: a.unit.name),
    ("Kategori", lambda a: a.category_label),
    ("Status", lambda a: "Makulerad" if a.is_cancelled else a.status_label),
    ("Rapporterad", lambda a: a.created_at),
    ("Händelsen inträffade", lambda a: a.event_at),
    ("Hälso- och sjukvård", lambda a: a.health_care),
    ("Konsekvens", lambda a: a.consequence),
    ("Sannolikhet", lambda a: a.likelihood),
    ("Allvarlighet", lambda a: a.severity),
    ("Orsaker", lambda a: a.cause_labels),
    ("Utredare", lambda a: a.owner.name if a.owner else ""),
    ("Avslutad", lambda a: a.closed_at),
]


def _category_entries() -> list[ListEntry]:
    return list(
        db.session.scalars(
            select(ListEntry)
            .where(ListEntry.list_key == CATEGORY_LIST)
            .order_by(ListEntry.sort_order, ListEntry.label)
        )
    )


@bp.route("/")
@login_required
def index() -> Any:
    f = list_filters(request.args)
    query = filtered_query(current_user, f)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        # Streamed in batches; the related rows in a few queries per batch, not per row.
        items = query.options(
            selectinload(Avvikelse.owner),
            selectinload(Avvikelse.category),
            selectinload(Avvikelse.causes),
        ).limit(MAX_EXPORT_ROWS)
        return export_response(fmt, items, EXPORT_COLUMNS, f"avvikelser-{clock.today()}")
    return render_template(
        "avvikelser/list.html",
        pagination=paginate(query),
        f=f,
        units=unit_choices(),
        categories=_category_entries(),
        states=WORKFLOW.states,
        severities=SEVERITY_FILTER,
        sorts={k: v[0] for k, v in SORTS.items()},
        export_args=export_args(),
    )


def _report_form() -> ReportForm:
    form = ReportForm()
    form.unit_id.choices = unit_choices()  # type: ignore[assignment]
    form.category_id.choices = [("", "– välj kategori –"), *ops.category_choices()]  # type: ignore[assignment]
    if request.method == "GET" and current_user.home_unit_id:
        form.unit_id.data = current_user.home_unit_id
    return form


REPORT_TEXT = (
    "title", "description", "noticed_how", "external_party", "consequence_actual",
    "consequence_possible", "immediate_action", "sex", "age_group", "health_care",
)  # fmt: skip


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = _report_form()
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in REPORT_TEXT}
        try:
            item = ops.report_avvikelse(
                current_user,
                unit=form.unit_id.data,
                category_id=form.category_id.data,
                event_at=aware(form.event_at.data),
                noticed_at=aware(form.noticed_at.data),
                **fields,
            )
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            return redirect(url_for("avvikelser.receipt", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("avvikelser/new.html", form=form), status


@bp.route("/<ref>/kvitto")
@login_required
def receipt(ref: str) -> Any:
    item = load_item(ref, current_user, Avvikelse)
    return render_template("avvikelser/receipt.html", item=item)


def _assign_form(item: Avvikelse) -> AssignForm:
    form = page_form(AssignForm, "utredare")
    form.owner_id.choices = people_near(item.unit, current_user)  # type: ignore[assignment]
    # The select says what it does, so that it agrees with "Utredare: Ingen ännu" beside it:
    # "Välj utredare" (the chef preselected, one tap to take it over) or "Byt utredare till".
    form.owner_id.label.text = "Byt utredare till" if item.owner_id else "Välj utredare"
    if fresh(form):
        form.owner_id.data = item.owner_id or current_user.id
    return form


def _analysis_form(item: Avvikelse) -> AnalysisForm:
    form = page_form(AnalysisForm, "analys")
    if fresh(form):
        form.causes.data = item.cause_codes
        form.analysis.data = item.analysis
        form.consequence.data = str(item.consequence or "")
        form.likelihood.data = str(item.likelihood or "")
    return form


def _render_detail(
    item: Avvikelse, status: int = 200, page_error: str | None = None, **forms: Any
) -> Any:
    """The case page. Each of its forms shows the item's values, except the one that was sent
    and refused (given in `forms`), which keeps what was typed, with the error at its field."""
    # The item's kvalitetsområden and the active ones in one statement, before the action
    # form offers the active ones and the panel both.
    quality_area_choices(item)
    context = {
        "assign_form": _assign_form(item),
        "analysis_form": _analysis_form(item),
        "atgard_form": new_atgard_form(item.unit, prefix="atgard"),
        **forms,
    }
    log_read_if_needed(current_user, item)  # a health-care avvikelse (HSLF-FS 2016:40)
    return render_template(
        "avvikelser/detail.html",
        item=item,
        can_edit=can(current_user, "edit", item),
        open_actions=open_actions(item),
        consequence_labels=CONSEQUENCE_LABELS,
        likelihood_labels=LIKELIHOOD_LABELS,
        noticed_how=NOTICED_HOW,
        sex_labels=KON_LABELS,
        age_labels=ALDERSGRUPPER,
        risk_level=risk_level,
        page_error=page_error,
        **context,
    ), status


@bp.route("/<ref>")
@login_required
@uow.writes  # the read log of health-care avvikelser
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, Avvikelse)
    return _render_detail(item)


def _step(ref: str, key: str, make: Callable[[Avvikelse], Any], act: Callable[..., Any],
          done: str | Callable[[Any], str]) -> Any:  # fmt: skip
    return run_step(
        lambda: load_item(ref, current_user, Avvikelse),
        key, make, act, _render_detail, "avvikelser.detail", done,
    )  # fmt: skip


def _assign(item: Avvikelse, form: AssignForm) -> None:
    if not form.owner_id.data:
        raise OperationError("Välj en utredare.", field="owner_id")
    ops.assign_investigator(current_user, item, form.owner_id.data,
                            expected_version=form_version())  # fmt: skip


@bp.route("/<ref>/utredare", methods=["POST"])
@login_required
def assign(ref: str) -> Any:
    return _step(ref, "assign_form", _assign_form, _assign, "Utredare är satt.")


def _analyse(item: Avvikelse, form: AnalysisForm) -> None:
    ops.analyse_avvikelse(
        current_user,
        item,
        analysis=form.analysis.data or "",
        causes=list(form.causes.data or []),
        consequence=int(form.consequence.data) if form.consequence.data else None,
        likelihood=int(form.likelihood.data) if form.likelihood.data else None,
        expected_version=form_version(),
    )


@bp.route("/<ref>/analys", methods=["POST"])
@login_required
def analyse(ref: str) -> Any:
    return _step(ref, "analysis_form", _analysis_form, _analyse, "Analysen är sparad.")


@bp.route("/<ref>/atgard", methods=["POST"])
@login_required
def new_action(ref: str) -> Any:
    return _step(
        ref,
        "atgard_form",
        lambda item: new_atgard_form(item.unit, prefix="atgard"),
        lambda item, form: ops.create_linked_atgard(current_user, item, **atgard_fields(form)),
        lambda action: f"Förbättringsåtgärd {action.ref} är skapad och kopplad.",
    )


@bp.route("/<ref>/andra", methods=["GET", "POST"])
@login_required
@uow.writes  # the read log of health-care avvikelser
def edit(ref: str) -> Any:
    item = load_item(ref, current_user, Avvikelse)
    if not can(current_user, "edit", item):
        abort(403)
    form = ReportForm(obj=item if request.method == "GET" else None)
    form.unit_id.choices = unit_choices()  # type: ignore[assignment]
    form.category_id.choices = [("", "– välj kategori –"),
                                *ops.category_choices(item.category_id)]  # fmt: skip
    if request.method == "GET":
        form.event_at.data = _local_naive(item.event_at)
        form.noticed_at.data = _local_naive(item.noticed_at)
        form.sex.data = item.sex or ""
        form.age_group.data = item.age_group or ""
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in REPORT_TEXT}
        try:
            ops.update_avvikelse(
                current_user,
                item,
                expected_version=form_version(),
                unit=form.unit_id.data,
                category_id=form.category_id.data,
                event_at=aware(form.event_at.data),
                noticed_at=aware(form.noticed_at.data),
                **fields,
            )
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
            item = load_item(ref, current_user, Avvikelse)
        else:
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("avvikelser.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    log_read_if_needed(current_user, item)
    return render_template("avvikelser/edit.html", form=form, item=item), status


def _local_naive(value: datetime | None) -> datetime | None:
    local = clock.to_local(value)
    return local.replace(tzinfo=None) if local else None


# --- statistics -------------------------------------------------------------------------


def stats_roots(user: User) -> list[Unit]:
    paths = statistics_paths(user, "AVV")
    if not paths:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)))


def stats_period(args: Any) -> Period:
    start, end = arg_date(args.get("fran")), arg_date(args.get("till"))
    if start and end and start <= end:
        return custom_period(start, end)
    return parse_quality_year(args.get("ar")) or current_quality_year()


@bp.route("/statistik")
@login_required
def stats() -> Any:
    roots = stats_roots(current_user)
    if not roots:
        abort(403)
    root = roots[0]
    wanted = db.session.get(Unit, arg_int(request.args.get("enhet")) or 0)
    if wanted is not None and statistics_detail(current_user, "AVV", wanted) is not None:
        root = wanted
    detail = statistics_detail(current_user, "AVV", root)
    assert detail is not None
    read_only = detail == Detail.AGGREGATE
    period = stats_period(request.args)
    now, before = statistics_with_previous(root, period)
    current, previous = shown_statistics(detail, now), shown_statistics(detail, before)
    categories = list(current["by_category"])
    chart = (
        None
        if read_only
        else bar_chart_svg(
            categories,
            [
                (current["period"], [current["by_category"][c] for c in categories]),
                (previous["period"], [previous["by_category"].get(c, 0) for c in categories]),
            ],
            f"Avvikelser per kategori, {root.name}",
        )
    )
    scope_units = db.session.scalars(
        select(Unit)
        .where(or_(*[Unit.path.startswith(r.path) for r in roots]), Unit.active.is_(True))
        .order_by(Unit.path)
    ).all()
    return render_template(
        "avvikelser/stats.html",
        root=root,
        period=period,
        current=current,
        previous=previous,
        chart=chart,
        read_only=read_only,
        by_sex=(current["by_sex"], previous["by_sex"]),
        by_age=(current["by_age"], previous["by_age"]),
        by_area=area_table("AVV", root, period, detail),
        units=unit_choices(units=list(scope_units)),
        years=recent_quality_years(5),
    )

"""Synpunkter och klagomål: list, registration, handling, statistics and the public e-tjänst."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kvalitet.admin.views import register_list
from kvalitet.core import clock
from kvalitet.core.charts import bar_chart_svg
from kvalitet.core.errors import OperationError
from kvalitet.core.periods import custom_period, parse_quality_year, recent_quality_years
from kvalitet.core.permissions import (
    Detail,
    can,
    role_paths,
    shown_statistics,
    statistics_detail,
    statistics_paths,
    units_under,
    visible_clause,
)
from kvalitet.core.web import error_page, form_version
from kvalitet.core.workflow import available_transitions, check_transition
from kvalitet.extensions import db, limiter
from kvalitet.items.areas import area_table
from kvalitet.items.export import MAX_EXPORT_ROWS, export_response
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.queries import in_subtree, load_item, paginate, visible_links
from kvalitet.org.models import Unit
from kvalitet.org.operations import active_units_under, unit_choices
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.forms import AckForm, AnswerForm, OralForm, PublicForm, RegisterForm
from kvalitet.synpunkter.kinds import MANAGERS, SPEC
from kvalitet.synpunkter.models import (
    KALLA_LABELS,
    KANAL_LABELS,
    THEME_LIST,
    TYP_LABELS,
    Synpunkt,
    SynpunktStatus,
    synpunkt_tema,
)
from kvalitet.synpunkter.stats import statistics_with_previous

bp = Blueprint("synpunkter", __name__, url_prefix="/synpunkter")

register_list(THEME_LIST, "Teman för synpunkter och klagomål")

OWN_FORM_STEPS = ("bekrafta", "besvara")


# --- helpers ------------------------------------------------------------------------------


def theme_choices(include: list[int] | None = None) -> list[tuple[Any, str]]:
    """The active themes (and any deactivated one in `include`, the item's own), in order."""
    entries = db.session.scalars(
        select(ListEntry)
        .where(ListEntry.list_key == THEME_LIST)
        .where(ListEntry.active.is_(True) | ListEntry.id.in_(include or []))
        .order_by(ListEntry.sort_order, ListEntry.label)
    )
    return [(e.id, e.label) for e in entries]


def manager_units() -> list[tuple[int, str]]:
    return unit_choices(units=active_units_under(role_paths(current_user, MANAGERS)))


def apply_errors(form: Any, exc: OperationError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = (
            [*field.errors, exc.message] if isinstance(field.errors, list) else [exc.message]
        )
    else:
        flash(exc.message, "danger")


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


# --- list and export ------------------------------------------------------------------------


def list_query() -> tuple[Any, dict[str, Any]]:
    """The list's SQL, filtered by permission and the filters in the query string."""
    args = request.args
    filters: dict[str, Any] = {k: args.get(k, "") for k in
                               ("typ", "kalla", "kanal", "tema", "enhet", "status", "fran",
                                "till", "kvalitetsar")}  # fmt: skip
    # No join to unit: the enhet filter is a literal id list (queries.in_subtree), so the
    # capped count reads item alone (queries._on_item_alone) and the page joins nothing
    # it does not show.
    query = select(Synpunkt).where(visible_clause(current_user, [SPEC]))
    if filters["typ"] in TYP_LABELS:
        query = query.where(Synpunkt.typ == filters["typ"])
    if filters["kalla"] in KALLA_LABELS:
        query = query.where(Synpunkt.kalla == filters["kalla"])
    if filters["kanal"] in KANAL_LABELS:
        query = query.where(Synpunkt.kanal == filters["kanal"])
    if filters["tema"].isdigit():
        # A synpunkt with several themes is found under each of them.
        query = query.where(
            Synpunkt.id.in_(
                select(synpunkt_tema.c.synpunkt_id).where(
                    synpunkt_tema.c.theme_id == int(filters["tema"])
                )
            )
        )
    if filters["enhet"].isdigit():
        unit = db.session.get(Unit, int(filters["enhet"]))
        if unit is not None:
            query = query.where(in_subtree(unit))
    if filters["status"] == "oppna":
        query = query.where(Item.closed_at.is_(None), Item.cancelled_at.is_(None))
    elif filters["status"] in set(SynpunktStatus):
        query = query.where(Item.status == filters["status"], Item.cancelled_at.is_(None))
    period = parse_quality_year(filters["kvalitetsar"])
    start, end = _date_arg("fran"), _date_arg("till")
    if period is not None:
        start, end = period.start, period.end
    if start:
        query = query.where(Synpunkt.received_date >= start)
    if end:
        query = query.where(Synpunkt.received_date <= end)
    query = query.order_by(Synpunkt.received_date.desc(), Item.id.desc())
    return query, filters


EXPORT_COLUMNS = [
    ("Diarienummer", lambda s: s.diarienummer),
    ("Ärende", lambda s: s.ref),
    ("Mottagen", lambda s: s.received_date),
    ("Typ", lambda s: s.typ_label),
    ("Från", lambda s: s.kalla_label),
    ("Kanal", lambda s: s.kanal_label),
    ("Teman", lambda s: ", ".join(s.theme_labels)),
    ("Enhet", lambda s: s.unit.name),
    ("Status", lambda s: "Makulerad" if s.is_cancelled else s.status_label),
    ("Anonym", lambda s: s.anonymous),
    ("Bekräftas senast", lambda s: s.ack_due),
    ("Bekräftad", lambda s: s.acknowledged_date),
    ("Besvaras senast", lambda s: s.answer_due),
    ("Besvarad", lambda s: s.answered_date),
    ("Dagar till svar", lambda s: s.answer_days),
    ("Beskrivning", lambda s: s.description),
]


@bp.route("/")
@login_required
def index() -> Any:
    if not role_paths(current_user, MANAGERS):
        return redirect(url_for("synpunkter.mine"))
    query, filters = list_query()
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        rows = query.options(selectinload(Synpunkt.themes)).limit(MAX_EXPORT_ROWS)  # in batches
        return export_response(fmt, rows, EXPORT_COLUMNS, f"synpunkter-{clock.today()}")
    return render_template(
        "synpunkter/list.html",
        pagination=paginate(query),
        filters=filters,
        units=manager_units(),
        themes=theme_choices(),
        typ_labels=TYP_LABELS,
        kalla_labels=KALLA_LABELS,
        kanal_labels=KANAL_LABELS,
        states=SPEC.workflow.states,
        years=recent_quality_years(),
    )


@bp.route("/mina")
@login_required
def mine() -> Any:
    query = (
        select(Synpunkt)
        .where(visible_clause(current_user, [SPEC]))
        .order_by(Synpunkt.received_date.desc(), Item.id.desc())
    )
    return render_template("synpunkter/mine.html", pagination=paginate(query))


# --- registration ---------------------------------------------------------------------------


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    units = manager_units()
    if not units:
        return redirect(url_for("synpunkter.oral"))
    form = RegisterForm()
    form.unit_id.choices = units
    form.theme_ids.choices = theme_choices()
    if request.method == "GET":
        form.received_date.data = clock.today()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        if unit is None or form.unit_id.data not in {u for u, _ in units}:
            form.unit_id.errors = ["Välj en enhet i listan."]
        else:
            try:
                item = ops.register(
                    current_user, unit=unit, typ=form.typ.data, kalla=form.kalla.data,
                    kanal=form.kanal.data, description=form.description.data,
                    received_date=form.received_date.data, theme_ids=form.theme_ids.data or [],
                    anonymous=form.anonymous.data, contact_name=form.contact_name.data,
                    contact_info=form.contact_info.data, health_care=form.health_care.data,
                    title=form.title.data or "",
                )  # fmt: skip
            except OperationError as exc:
                apply_errors(form, exc)
            else:
                flash(f"Registrerad med diarienummer {item.diarienummer}.", "success")
                return redirect(url_for("synpunkter.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("synpunkter/form.html", form=form), status


@bp.route("/muntlig", methods=["GET", "POST"])
@login_required
def oral() -> Any:
    form = OralForm()
    form.unit_id.choices = unit_choices()
    form.theme_ids.choices = theme_choices()
    if request.method == "GET" and current_user.home_unit_id:
        form.unit_id.data = current_user.home_unit_id
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            if unit is None:
                raise OperationError("Välj en enhet.", field="unit_id")
            item = ops.register_oral(
                current_user, unit=unit, typ=form.typ.data, kalla=form.kalla.data,
                description=form.description.data, theme_ids=form.theme_ids.data or [],
                anonymous=form.anonymous.data, contact_info=form.contact_info.data,
                title=form.title.data or "",
            )  # fmt: skip
        except OperationError as exc:
            apply_errors(form, exc)
        else:
            flash(
                f"Tack! Synpunkten är registrerad med diarienummer {item.diarienummer} och "
                "har skickats till enhetens chef.",
                "success",
            )
            return redirect(url_for("synpunkter.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("synpunkter/oral.html", form=form), status


# --- one synpunkt ---------------------------------------------------------------------------


def _detail(item: Synpunkt, ack: AckForm | None = None, ans: AnswerForm | None = None) -> Any:
    steps: list[dict[str, Any]] = []
    for t in available_transitions(current_user, item):
        # The reason is typed in the step's own form, so do not list its absence as a problem.
        problems = check_transition(current_user, item, t, reason="-")
        steps.append({"t": t, "problems": problems})
    step_names = {s["t"].name for s in steps}
    if ack is None:
        ack = AckForm(formdata=None)
        ack.acknowledged_date.data = clock.today()
    if ans is None:
        ans = AnswerForm(formdata=None)
        ans.answered_date.data = clock.today()
    return render_template(
        "synpunkter/detail.html",
        item=item,
        steps=[s for s in steps if s["t"].name not in OWN_FORM_STEPS],
        can_ack="bekrafta" in step_names and not item.anonymous,
        can_answer="besvara" in step_names and not item.anonymous,
        ack_form=ack,
        answer_form=ans,
        links=visible_links(item, current_user),
        hide_generic_steps=True,
        may_edit=_may_edit(item),
    )


def _may_edit(item: Synpunkt) -> bool:

    return can(current_user, "edit", item)


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, Synpunkt)
    return _detail(item)


@bp.route("/<ref>/bekrafta", methods=["POST"])
@login_required
def acknowledge(ref: str) -> Any:
    item = load_item(ref, current_user, Synpunkt)
    form = AckForm()
    if form.validate_on_submit():
        try:
            ops.acknowledge(item, current_user, method=form.ack_method.data,
                            on=form.acknowledged_date.data,
                            expected_version=form_version())  # fmt: skip
        except OperationError as exc:
            item = load_item(ref, current_user, Synpunkt)
            apply_errors(form, exc)
        else:
            flash("Mottagandet är bekräftat.", "success")
            return redirect(url_for("synpunkter.detail", ref=item.ref))
    return _detail(item, ack=form), 422


@bp.route("/<ref>/svara", methods=["POST"])
@login_required
def answer(ref: str) -> Any:
    item = load_item(ref, current_user, Synpunkt)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            ops.answer(item, current_user, text=form.answer_text.data,
                       explanation=form.explanation.data or "", method=form.answer_method.data,
                       on=form.answered_date.data, expected_version=form_version())  # fmt: skip
        except OperationError as exc:
            item = load_item(ref, current_user, Synpunkt)
            apply_errors(form, exc)
        else:
            flash("Svaret är registrerat.", "success")
            return redirect(url_for("synpunkter.detail", ref=item.ref))
    return _detail(item, ans=form), 422


@bp.route("/<ref>/granska", methods=["POST"])
@login_required
def route(ref: str) -> Any:
    item = load_item(ref, current_user, Synpunkt)
    try:
        ops.route(item, current_user, expected_version=form_version())
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(f"Skickad till {item.unit.name}.", "success")
    return redirect(url_for("synpunkter.detail", ref=item.ref))


@bp.route("/<ref>/andra", methods=["GET", "POST"])
@login_required
def edit(ref: str) -> Any:
    item = load_item(ref, current_user, Synpunkt)
    if not _may_edit(item):
        abort(403)
    form = RegisterForm(obj=item)
    units = manager_units()
    if item.unit_id not in {u for u, _ in units}:
        units = [(item.unit_id, item.unit.name), *units]
    form.unit_id.choices = units
    form.theme_ids.choices = theme_choices([t.id for t in item.themes])
    if request.method == "GET":
        form.theme_ids.data = [t.id for t in item.themes]
    if form.validate_on_submit():
        changes = {name: getattr(form, name).data for name in ops.CLASSIFY_FIELDS
                   if hasattr(form, name)}  # fmt: skip
        changes["theme_ids"] = changes.get("theme_ids") or []
        try:
            ops.classify(item, current_user, expected_version=form_version(), **changes)
        except OperationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("synpunkter.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("synpunkter/form.html", form=form, item=item), status


# --- statistics -----------------------------------------------------------------------------


@bp.route("/statistik")
@login_required
def stats() -> Any:
    paths = statistics_paths(current_user, "SYN")
    if not paths:
        abort(403)
    roots = list(db.session.scalars(select(Unit).where(Unit.id.in_(units_under(paths)))))
    choices = unit_choices(units=roots)
    root_id = request.args.get("enhet", "")
    root = db.session.get(Unit, int(root_id)) if root_id.isdigit() else None
    if root is None or not any(root.path.startswith(p) for p in paths):
        root = min(roots, key=lambda u: (u.depth, u.path))
    period = parse_quality_year(request.args.get("kvalitetsar")) or recent_quality_years(1)[0]
    start, end = _date_arg("fran"), _date_arg("till")
    if start and end and start <= end and (end - start).days <= 366 * 5:
        period = custom_period(start, end)
    detail = statistics_detail(current_user, "SYN", root)
    assert detail is not None
    read_only = detail == Detail.AGGREGATE
    now, before = statistics_with_previous(root, period)
    current, previous = shown_statistics(detail, now), shown_statistics(detail, before)
    breakdowns = [
        ("by_typ", "Typ"), ("by_kalla", "Vem den kom från"), ("by_kanal", "Kanal"),
        ("by_tema", "Tema"), ("by_unit", "Enhet"),
    ]  # fmt: skip
    tables = []
    for key, title in breakdowns:
        labels = list(dict.fromkeys([*current[key], *previous[key]]))
        shown_now = now_counts = {k: current[key].get(k, 0) for k in labels}
        shown_before = before_counts = {k: previous[key].get(k, 0) for k in labels}
        chart = None
        if labels and not read_only:
            chart = _chart_ids(key, bar_chart_svg(
                labels,
                [(period.label, list(now_counts.values())),
                 (period.previous_year().label, list(before_counts.values()))],
                f"Synpunkter per {title.lower()}",
            ))  # fmt: skip
        tables.append({"key": key, "title": title, "labels": labels, "now": shown_now,
                       "before": shown_before, "chart": chart})  # fmt: skip
    return render_template(
        "synpunkter/stats.html",
        current=current,
        previous=previous,
        tables=tables,
        root=root,
        choices=choices,
        period=period,
        years=recent_quality_years(),
        read_only=read_only,
        by_area=area_table("SYN", root, period, detail),
    )


def _chart_ids(key: str, svg: str) -> str:
    """Several charts on one page: give each its own title/desc ids."""
    return (
        svg.replace('aria-labelledby="t d"', f'aria-labelledby="{key}-t {key}-d"')
        .replace('id="t"', f'id="{key}-t"')
        .replace('id="d"', f'id="{key}-d"')
        .replace("<svg ", '<svg class="svg-fluid" ', 1)
    )


# --- the public e-tjänst --------------------------------------------------------------------


RECEIPT_KEY = "synpunkt_kvitto"


def _public_rate_limit() -> str:
    return str(ops.setting("SYNPUNKT_PUBLIC_RATE_LIMIT"))


def _public_form() -> PublicForm:
    form = PublicForm()
    form.unit_id.choices = [("", "Vet inte / annat"),
                            *((str(u.id), u.name) for u in ops.public_units())]  # fmt: skip
    limit = int(ops.setting("SYNPUNKT_PUBLIC_MAX_CHARS"))
    form.description.render_kw = {"rows": 7, "maxlength": limit}
    return form


@bp.route("/lamna", methods=["GET", "POST"])
@limiter.limit(_public_rate_limit, methods=["POST"])
def public() -> Any:
    form = _public_form()
    limit = int(ops.setting("SYNPUNKT_PUBLIC_MAX_CHARS"))
    if request.method == "POST" and (request.content_length or 0) > 4 * limit + 20000:
        abort(413)
    if request.method == "POST" and (request.form.get("webbplats") or "").strip():
        # A bot filled the hidden field: answer like a receipt, save nothing.
        session[RECEIPT_KEY] = 0
        return redirect(url_for("synpunkter.public_receipt"))
    if form.validate_on_submit():
        try:
            item = ops.public_submit(
                unit_id=form.unit_id.data, typ=form.typ.data, kalla=form.kalla.data,
                description=form.description.data or "", name=form.name.data or "",
                contact=form.contact.data or "", title=form.title.data or "",
            )  # fmt: skip
        except OperationError as exc:
            apply_errors(form, exc)
        else:
            # Post/redirect/get: reloading the receipt does not send it again.
            session[RECEIPT_KEY] = item.id
            return redirect(url_for("synpunkter.public_receipt"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "synpunkter/public.html", form=form, limit=limit, logo_url=_logo_url()
    ), status


def _logo_path() -> Path | None:
    """KOMMUN_LOGO_URL as a file under instance/static/ (not a path on the site), if it is
    one."""
    value = str(current_app.config.get("KOMMUN_LOGO_URL") or "").strip()
    if not value or value.startswith("/") or "://" in value:
        return None
    folder = (Path(current_app.instance_path) / "static").resolve()
    path = (folder / value).resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None


def _logo_url() -> str:
    """The municipality's logo on the e-tjänst: a path on this site ("/static/logo.svg") as
    it is, a file under instance/static/ through `public_logo`; empty setting or a missing
    file: no logo. Another site's address is not used: the pages' Content-Security-Policy
    allows images from this site only (img-src 'self')."""
    value = str(current_app.config.get("KOMMUN_LOGO_URL") or "").strip()
    if value.startswith("/") and not value.startswith("//"):
        return value
    return url_for("synpunkter.public_logo") if _logo_path() else ""


@bp.route("/lamna/logo")
def public_logo() -> Any:
    path = _logo_path()
    if path is None:
        abort(404)
    return send_file(path, max_age=3600)


@bp.route("/lamna/tack")
def public_receipt() -> Any:
    if RECEIPT_KEY not in session:
        return redirect(url_for("synpunkter.public"))
    ident = session.get(RECEIPT_KEY)
    item = db.session.get(Synpunkt, ident) if ident else None
    return render_template("synpunkter/public_receipt.html", item=item)


@bp.errorhandler(429)
def too_many(error: Any) -> Any:
    if request.endpoint == "synpunkter.public":
        return render_template("synpunkter/public_busy.html"), 429

    return error_page(429)

"""Lex Sarah pages: rapport, the case with its steps, the SAS board and meeting view, the IVO
summary PDF, spreading confirmations, the read log and statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Select, and_, case, func, or_, select

from kvalitet.admin.views import register_list
from kvalitet.core import clock, uow
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.core.periods import parse_quality_year, recent_quality_years
from kvalitet.core.permissions import (
    Detail,
    holds_role_over,
    may,
    role_paths,
    shown_statistics,
    statistics_detail,
    statistics_paths,
    units_under,
    visible_clause,
)
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.web import form_version
from kvalitet.extensions import db
from kvalitet.items import documents
from kvalitet.items.areas import area_table
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.queries import (
    detail_url,
    due_date_order,
    load_item,
    log_read_if_needed,
    paginate,
    read_log,
)
from kvalitet.items.steps import field_error, fresh, run_step
from kvalitet.lexsarah import deadlines, forms, operations
from kvalitet.lexsarah import ivo as ivo_document
from kvalitet.lexsarah.kinds import SPEC, late_clause, missing_sections
from kvalitet.lexsarah.models import SEKTION_LABELS, LexSarahArende, Sektion, Spridning
from kvalitet.lexsarah.models import LexSarahStatus as S
from kvalitet.lexsarah.stats import statistics_with_previous
from kvalitet.org.models import Unit, UnitKind
from kvalitet.org.operations import active_units, unit_choices

bp = Blueprint("lexsarah", __name__, url_prefix="/lexsarah")

L = LexSarahArende


def _is_sas(item: LexSarahArende) -> bool:
    return may(current_user, "lexsarah.sas_steps", item.unit)


# --- rapport ------------------------------------------------------------------------------


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = forms.ReportForm()
    form.unit_id.choices = unit_choices()
    if request.method == "GET" and current_user.home_unit_id:
        form.unit_id.data = current_user.home_unit_id
    if form.validate_on_submit():
        try:
            item = operations.report(
                current_user,
                unit=db.session.get(Unit, form.unit_id.data),
                title=form.title.data,
                description=form.description.data,
                happened_at=forms.aware(form.happened_at.data),
                noticed_at=forms.aware(form.noticed_at.data),
                noticed_how=form.noticed_how.data or "",
                consequences=form.consequences.data or "",
                immediate_measures=form.immediate_measures.data or "",
                immediate_measures_at=forms.aware(form.immediate_measures_at.data),
            )
        except OperationError as exc:
            field_error(form, exc)
        else:
            flash(
                f"Tack! Din rapport har tagits emot med nummer {item.ref} och går till SAS. "
                "Av sekretesskäl kan du inte öppna ärendet.",
                "success",
            )
            return redirect(url_for("items.inbox"))
    status = 422 if request.method == "POST" else 200
    return render_template("lexsarah/new.html", form=form), status


@bp.route("/fran-avvikelse/<int:item_id>", methods=["POST"])
@login_required
def from_avvikelse(item_id: int) -> Any:
    if not FlaskForm().validate_on_submit():
        abort(400)
    avvikelse: Item = load_item(item_id, current_user)
    try:
        item = operations.transfer_from_avvikelse(avvikelse, current_user)
    except OperationError as exc:
        if isinstance(exc, NotFound):
            raise
        flash(exc.message, "danger")
    else:
        flash(f"Avvikelsen är överförd till lex Sarah som {item.ref} och går till SAS.", "success")
    return redirect(detail_url(avvikelse))


# --- the case -------------------------------------------------------------------------------


def _decision_form(item: LexSarahArende) -> forms.DecisionForm:
    form = forms.DecisionForm(prefix="beslut")
    makers = operations.decision_makers(item, with_roles=False)  # names only
    form.decision_maker_id.choices = [(0, "– välj –")] + [(u.id, u.display) for u in makers]
    # Held while the page is drawn: the case's decision maker and assessor are usually among
    # them, and are then found in the session instead of read again (the session only keeps
    # weak references).
    form.people = makers
    return form


def _ivo_form() -> forms.IvoForm:
    form = forms.IvoForm(prefix="ivo")
    regions = db.session.scalars(
        select(ListEntry.label)
        .where(ListEntry.list_key == "lexsarah_ivo_region", ListEntry.active.is_(True))
        .order_by(ListEntry.sort_order)
    ).all()
    form.region.choices = [("", "– välj –")] + [(r, r) for r in regions]
    return form


def _spread_form(item: LexSarahArende) -> forms.SpreadForm:
    form = forms.SpreadForm(prefix="spridning")
    # The units held in one list (one query), not fetched again one by one.
    units = active_units()
    enheter = {u.id for u in units if u.kind == UnitKind.ENHET}
    form.unit_ids.choices = [(u, n) for u, n in unit_choices(units=units) if u in enheter]
    if fresh(form):
        form.unit_ids.data = [s.unit_id for s in item.spreading]
        form.spread_text.data = item.spread_text
        form.ledningsgrupp_date.data = item.ledningsgrupp_date
    return form


def _action_form(item: LexSarahArende) -> forms.ActionForm:
    form = forms.ActionForm(prefix="atgard")
    form.unit_id.choices = unit_choices()
    if fresh(form):
        form.unit_id.data = item.unit_id
    return form


def _render(
    item: LexSarahArende, status: int = 200, page_error: str | None = None, **overrides: Any
) -> Any:
    log_read_if_needed(current_user, item)
    sas = _is_sas(item)
    page_forms: dict[str, Any] = {
        "immediate": forms.ImmediateForm(prefix="omedelbar"),
        "assess": forms.AssessForm(prefix="bedomning"),
        "entry": forms.EntryForm(prefix="post"),
        "decision": _decision_form(item),
        "ivo": _ivo_form(),
        "sent": forms.SentForm(prefix="skickad"),
        "spread": _spread_form(item),
        "close": forms.CloseForm(prefix="avslut"),
        "action": _action_form(item),
    }
    page_forms.update(overrides)
    for key, field in (("entry", "entry_date"), ("decision", "decision_date"),
                       ("ivo", "filed_date"), ("sent", "sent_date")):  # fmt: skip
        if fresh(page_forms[key]):
            getattr(page_forms[key], field).data = clock.today()
    if fresh(page_forms["immediate"]) and item.immediate_measures:
        page_forms["immediate"].immediate_measures.data = item.immediate_measures
        local = clock.to_local(item.immediate_measures_at)
        page_forms["immediate"].immediate_measures_at.data = (
            local.replace(tzinfo=None) if local else None
        )
    may_write = holds_role_over(current_user, [Role.SAS, *CHEF_ROLES], item.unit)
    return render_template(
        "lexsarah/detail.html",
        item=item,
        f=page_forms,
        sas=sas,
        may_write=may_write,
        reporter=operations.reporter_of(item) if sas else None,
        sections=list(Sektion),
        missing=missing_sections(item),
        late=deadlines.is_late(item),
        ivo_late=deadlines.ivo_utredning_late(item),
        step_label=deadlines.STEP_LABELS.get(S(item.status)),
        show_read_log=sas or current_user.is_admin,
        hide_generic_steps=True,
        page_error=page_error,
        actions=operations.actions_of(item, current_user),
    ), status


@bp.route("/<ref>")
@uow.writes  # writes the read log
@login_required
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, LexSarahArende)
    return _render(item)


def _step(
    ref: str, key: str, make: Callable[[LexSarahArende], Any], act: Callable[..., Any], done: str
) -> Any:
    return run_step(
        lambda: load_item(ref, current_user, LexSarahArende),
        key,
        make,
        act,
        _render,
        "lexsarah.detail",
        done,
    )


@bp.route("/<ref>/omedelbara-atgarder", methods=["POST"])
@login_required
def immediate(ref: str) -> Any:
    return _step(
        ref,
        "immediate",
        lambda i: forms.ImmediateForm(prefix="omedelbar"),
        lambda i, f: operations.record_immediate(
            i,
            current_user,
            f.immediate_measures.data,
            forms.aware(f.immediate_measures_at.data),
            form_version(),
        ),
        "De omedelbara åtgärderna är sparade.",
    )


@bp.route("/<ref>/bedomning", methods=["POST"])
@login_required
def assess(ref: str) -> Any:
    return _step(
        ref,
        "assess",
        lambda i: forms.AssessForm(prefix="bedomning"),
        lambda i, f: operations.assess(
            i, current_user, f.assessment.data, f.assessment_text.data, form_version()
        ),
        "Bedömningen är sparad och utredningen har startat.",
    )


@bp.route("/<ref>/utredning", methods=["POST"])
@login_required
def entry(ref: str) -> Any:
    return _step(
        ref,
        "entry",
        lambda i: forms.EntryForm(prefix="post"),
        lambda i, f: operations.add_entry(
            i,
            current_user,
            section=f.section.data,
            entry_date=f.entry_date.data,
            source=f.source.data,
            karaktar=f.karaktar.data,
            text=f.text.data,
        ),
        "Uppgiften är sparad i utredningen.",
    )


@bp.route("/<ref>/beslut", methods=["POST"])
@login_required
def decide(ref: str) -> Any:
    return _step(
        ref,
        "decision",
        _decision_form,
        lambda i, f: operations.decide(
            i,
            current_user,
            outcome=f.outcome.data,
            allvarligt=bool(f.allvarligt.data),
            decision_maker_id=f.decision_maker_id.data or None,
            decision_date=f.decision_date.data,
            reason=f.decision_reason.data,
            expected_version=form_version(),
        ),
        "Beslutet är registrerat.",
    )


@bp.route("/<ref>/ivo", methods=["POST"])
@login_required
def ivo(ref: str) -> Any:
    return _step(
        ref,
        "ivo",
        lambda i: _ivo_form(),
        lambda i, f: operations.file_ivo(
            i,
            current_user,
            filed_date=f.filed_date.data,
            channel=f.channel.data,
            region=f.region.data,
            attached=bool(f.attached.data),
            diarienummer=f.diarienummer.data or "",
            expected_version=form_version(),
        ),
        "Anmälan till IVO är registrerad.",
    )


@bp.route("/<ref>/ivo/utredning-skickad", methods=["POST"])
@login_required
def sent(ref: str) -> Any:
    return _step(
        ref,
        "sent",
        lambda i: forms.SentForm(prefix="skickad"),
        lambda i, f: operations.investigation_sent(
            i, current_user, f.sent_date.data, form_version()
        ),
        "Datumet då utredningen skickades till IVO är sparat.",
    )


@bp.route("/<ref>/spridning", methods=["POST"])
@login_required
def spread(ref: str) -> Any:
    return _step(
        ref,
        "spread",
        _spread_form,
        lambda i, f: operations.set_spreading(
            i,
            current_user,
            unit_ids=list(f.unit_ids.data or []),
            spread_text=f.spread_text.data or "",
            ledningsgrupp_date=f.ledningsgrupp_date.data,
            expected_version=form_version(),
        ),
        "Spridningen är sparad. Cheferna på de valda enheterna har fått besked.",
    )


@bp.route("/<ref>/atgard", methods=["POST"])
@login_required
def action(ref: str) -> Any:
    return _step(
        ref,
        "action",
        _action_form,
        lambda i, f: operations.create_action(
            i, current_user, title=f.title.data, unit_id=f.unit_id.data, due_date=f.due_date.data
        ),
        "Förbättringsåtgärden är skapad och enhetens chef har fått besked.",
    )


@bp.route("/<ref>/avsluta", methods=["POST"])
@login_required
def close(ref: str) -> Any:
    return _step(
        ref,
        "close",
        lambda i: forms.CloseForm(prefix="avslut"),
        lambda i, f: operations.close(i, current_user, f.closing_note.data or "", form_version()),
        "Ärendet är avslutat.",
    )


@bp.route("/<ref>/ivo-sammanstallning.pdf")
@uow.writes  # writes the read log
@login_required
def ivo_pdf(ref: str) -> Any:
    return _ivo_document(ref, "pdf")


@bp.route("/<ref>/ivo-sammanstallning.docx")
@uow.writes  # writes the read log
@login_required
def ivo_docx(ref: str) -> Any:
    return _ivo_document(ref, "docx")


def _ivo_document(ref: str, fmt: str) -> Any:
    """The IVO summary as PDF or Word, drawn by the shared document machinery."""
    item = load_item(ref, current_user, LexSarahArende)
    if not _is_sas(item):
        raise NotFound()
    log_read_if_needed(current_user, item)
    huvudman = current_app.config.get("ORGANISATION_NAME", "")
    data = ivo_document.render(item, current_user, huvudman, fmt)
    response = make_response(data)
    response.headers["Content-Type"] = documents.MIMETYPES[fmt]
    disposition = "inline" if fmt == "pdf" else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{item.ref}-ivo-sammanstallning.{fmt}"'
    )
    return response


@bp.route("/<ref>/lasloggen")
@login_required
def read_log_view(ref: str) -> Any:
    """Who opened the case and when: SAS over the unit and admin (admin sees only the log)."""
    item = db.session.scalar(select(LexSarahArende).where(Item.ref == ref.upper()))
    if item is None or not (current_user.is_admin or _is_sas(item)):
        raise NotFound()
    return render_template("lexsarah/read_log.html", item=item, log_entries=read_log(item))


# --- board, meeting, spreading, statistics ----------------------------------------------


def _scope_query() -> Select[Any]:
    return select(L).where(visible_clause(current_user, [SPEC]))


def _may_board() -> bool:
    return bool(role_paths(current_user, [Role.SAS, *CHEF_ROLES]))


@bp.route("/")
@login_required
def board() -> Any:
    if not _may_board():
        abort(403)
    query = _scope_query()
    avdelningar = db.session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.AVDELNING, Unit.active.is_(True))
        .order_by(Unit.name)
    ).all()
    avd_id = request.args.get("avdelning", "")
    if avd_id.isdigit():
        avd = db.session.get(Unit, int(avd_id))
        if avd is not None:
            query = query.where(Item.unit_id.in_(units_under([avd.path])))
    period = parse_quality_year(request.args.get("ar"))
    if period is not None:
        query = query.where(L.reported_at >= period.start_utc(), L.reported_at < period.end_utc())
    step = request.args.get("steg", "oppna")
    if step in set(S):
        query = query.where(Item.status == step)
    elif step == "oppna":
        query = query.where(Item.status.in_(SPEC.workflow.open_states))
    query = query.where(Item.cancelled_at.is_(None)).order_by(
        case((late_clause(), 0), else_=1),
        *due_date_order(),
        L.reported_at.desc(),
    )
    pagination = paginate(query)
    # The counts read item alone (every lex Sarah item has its lexsarah_arende row): the
    # permission clause and the status are then one index, read without the table.
    in_scope = (visible_clause(current_user, [SPEC]), Item.cancelled_at.is_(None))
    per_step: dict[str, int] = {
        status: count
        for status, count in db.session.execute(
            select(Item.status, func.count(Item.id)).where(*in_scope).group_by(Item.status)
        ).all()
    }
    late_count = db.session.scalar(select(func.count(Item.id)).where(*in_scope, late_clause()))
    return render_template(
        "lexsarah/board.html",
        per_step=per_step,
        late_count=late_count,
        pagination=pagination,
        avdelningar=avdelningar,
        years=recent_quality_years(5),
        states=SPEC.workflow.states,
        args=request.args,
        step=step,
        is_late=deadlines.is_late,
        step_labels=deadlines.STEP_LABELS,
    )


@bp.route("/mote")
@login_required
def meeting() -> Any:
    """What the SAS network should discuss at this week's meeting."""
    if not role_paths(current_user, [Role.SAS]):
        abort(403)
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    week_end = monday + timedelta(days=6)
    base = _scope_query().where(Item.cancelled_at.is_(None))
    since = clock.local_midnight_utc(monday - timedelta(days=7))

    def rows(*conditions: Any) -> list[LexSarahArende]:
        return list(db.session.scalars(base.where(*conditions).order_by(Item.due_date).limit(100)))

    groups = [
        ("forsenade", "Försenade steg", rows(late_clause())),
        ("nya", "Nya rapporter sedan förra veckan", rows(L.reported_at >= since)),
        (
            "beslut",
            "Beslut som ska fattas senast denna vecka",
            rows(Item.status == S.UTREDNING, Item.due_date <= week_end),
        ),
        (
            "ivo",
            "Anmälan eller utredning till IVO",
            rows(
                or_(
                    Item.status == S.ANMALAN,
                    and_(
                        L.ivo_utredning_due.is_not(None),
                        L.ivo_utredning_sent_date.is_(None),
                        L.ivo_utredning_due <= week_end + timedelta(days=14),
                    ),
                )
            ),
        ),
        (
            "spridning",
            "Spridning som väntar på bekräftelse",
            rows(
                Item.status == S.SPRIDNING,
                L.id.in_(select(Spridning.arende_id).where(Spridning.confirmed_at.is_(None))),
            ),
        ),
    ]
    return render_template(
        "lexsarah/meeting.html",
        meeting_groups=groups,
        monday=monday,
        week_end=week_end,
        week=monday.isocalendar().week,
        is_late=deadlines.is_late,
    )


@bp.route("/spridning")
@login_required
def spreading() -> Any:
    rows = operations.pending_confirmations(current_user)
    return render_template("lexsarah/spreading.html", rows=rows, form=forms.ConfirmForm())


@bp.route("/spridning/<int:row_id>/bekrafta", methods=["POST"])
@login_required
def confirm(row_id: int) -> Any:
    row = db.session.get(Spridning, row_id)
    if row is None or not operations.may_confirm(current_user, row):
        raise NotFound()
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.confirm_spreading(row, current_user, form.note.data or "")
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(f"Tack! Bekräftelsen för {row.unit.name} är registrerad.", "success")
    return redirect(url_for("lexsarah.spreading"))


@bp.route("/statistik")
@login_required
def stats() -> Any:

    paths = statistics_paths(current_user, "LXS")
    if not paths:
        abort(403)
    root = db.session.scalar(select(Unit).where(Unit.path == paths[0]))
    assert root is not None
    detail = statistics_detail(current_user, "LXS", root)
    assert detail is not None
    period = parse_quality_year(request.args.get("ar")) or recent_quality_years(1)[0]
    now, before = statistics_with_previous(root, period)
    current, previous = shown_statistics(detail, now), shown_statistics(detail, before)
    return render_template(
        "lexsarah/stats.html",
        root=root,
        period=period,
        cur=current,
        prev=previous,
        read_only=detail == Detail.AGGREGATE,
        years=recent_quality_years(5),
        by_area=area_table("LXS", root, period, detail),
    )


SECTION_LABELS = SEKTION_LABELS


def _register_lists() -> None:

    register_list("lexsarah_ivo_region", "IVO-regioner (lex Sarah)")


_register_lists()


@bp.app_template_global("lexsarah_transfer_state")
def transfer_state(avvikelse: Item) -> tuple[bool, LexSarahArende | None]:
    """(may the user transfer this avvikelse, the case it was already transferred to)."""
    if not current_user.is_authenticated:
        return False, None
    existing = operations.transferred_case(avvikelse)
    return (existing is None and operations.may_transfer(current_user, avvikelse)), existing

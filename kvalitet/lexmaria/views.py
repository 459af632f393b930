"""Lex Maria pages: the MAS's board, a händelse and its steps, the transfer from a
health-care avvikelse, the read logs (HSLF-FS 2016:40), and the patientsäkerhetsberättelse
(draft, Word/PDF, frozen versions, chapter texts)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core import clock, uow
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.core.permissions import holds_role_over, role_paths, units_under, visible_clause
from kvalitet.core.roles import Role
from kvalitet.core.web import form_version
from kvalitet.extensions import db
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
from kvalitet.lexmaria import deadlines, forms, operations, psb_views
from kvalitet.lexmaria.kinds import SPEC, missing_sections
from kvalitet.lexmaria.models import (
    INFO_POINTS,
    LexMariaArende,
    Sektion,
)
from kvalitet.lexmaria.models import LexMariaStatus as S
from kvalitet.lexsarah.deadlines import late_clause
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import unit_choices

bp = Blueprint("lexmaria", __name__, url_prefix="/lexmaria")

L = LexMariaArende
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _is_mas(unit: Unit) -> bool:
    return holds_role_over(current_user, [Role.MAS], unit)


def _mas_paths() -> list[str]:
    return role_paths(current_user, [Role.MAS])


# --- a händelse -----------------------------------------------------------------------------


def _mas_units() -> list[tuple[int, str]]:
    """The units the MAS may register a händelse for (their subtrees)."""
    allowed = set(db.session.scalars(units_under(_mas_paths())))
    return [(u, n) for u, n in unit_choices() if u in allowed]


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    if not _mas_paths():
        abort(403)
    form = forms.ReportForm()
    form.unit_id.choices = _mas_units()
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
            db.session.rollback()
            field_error(form, exc)
        else:
            flash(f"Händelsen är registrerad som {item.ref}.", "success")
            return redirect(url_for("lexmaria.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("lexmaria/new.html", form=form), status


@bp.route("/fran-avvikelse/<int:item_id>", methods=["POST"])
@login_required
def from_avvikelse(item_id: int) -> Any:
    if not FlaskForm().validate_on_submit():
        abort(400)
    avvikelse = load_item(item_id, current_user, Avvikelse)
    try:
        item = operations.transfer_from_avvikelse(avvikelse, current_user)
    except OperationError as exc:
        if isinstance(exc, NotFound):
            raise
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(detail_url(avvikelse))
    flash(f"Avvikelsen är överförd till lex Maria som {item.ref}.", "success")
    return redirect(url_for("lexmaria.detail", ref=item.ref))


def _decision_form(item: LexMariaArende) -> forms.DecisionForm:
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


def _action_form(item: LexMariaArende) -> forms.ActionForm:
    form = forms.ActionForm(prefix="atgard")
    form.unit_id.choices = unit_choices()
    if fresh(form):
        form.unit_id.data = item.unit_id
    return form


def _render(
    item: LexMariaArende, status: int = 200, page_error: str | None = None, **overrides: Any
) -> Any:
    log_read_if_needed(current_user, item)
    mas = _is_mas(item.unit)
    page_forms: dict[str, Any] = {
        "assess": forms.AssessForm(prefix="bedomning"),
        "entry": forms.MariaEntryForm(prefix="post"),
        "decision": _decision_form(item),
        "ivo": _ivo_form(),
        "sent": forms.SentForm(prefix="skickad"),
        "inform": forms.InformForm(prefix="info"),
        "action": _action_form(item),
        "close": forms.CloseForm(prefix="avslut"),
    }
    page_forms.update(overrides)
    # The forms not sent in this request show their defaults, also when another form of the
    # page was refused, so the next one can be sent as the page shows it.
    for key, field in (("entry", "entry_date"), ("decision", "decision_date"),
                       ("ivo", "filed_date"), ("sent", "sent_date"),
                       ("inform", "informed_date")):  # fmt: skip
        if fresh(page_forms[key]):
            getattr(page_forms[key], field).data = clock.today()
    return render_template(
        "lexmaria/detail.html",
        item=item,
        f=page_forms,
        mas=mas,
        sections=list(Sektion),
        missing=missing_sections(item),
        late=deadlines.is_late(item),
        ivo_late=deadlines.ivo_utredning_late(item),  # type: ignore[arg-type]
        information_due=deadlines.information_due(item),
        information_late=deadlines.information_late(item),
        step_label=deadlines.STEP_LABELS.get(S(item.status)),
        info_points=INFO_POINTS,
        show_read_log=mas or current_user.is_admin,
        hide_generic_steps=True,
        page_error=page_error,
        actions=operations.actions_of(item, current_user),
    ), status


@bp.route("/<ref>")
@uow.writes  # writes the read log
@login_required
def detail(ref: str) -> Any:
    return _render(load_item(ref, current_user, LexMariaArende))


def _step(
    ref: str, key: str, make: Callable[[LexMariaArende], Any], act: Callable[..., Any], done: str
) -> Any:
    return run_step(
        lambda: load_item(ref, current_user, LexMariaArende),
        key,
        make,
        act,
        _render,
        "lexmaria.detail",
        done,
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
        "Bedömningen är sparad och händelseanalysen har startat.",
    )


@bp.route("/<ref>/utredning", methods=["POST"])
@login_required
def entry(ref: str) -> Any:
    return _step(
        ref,
        "entry",
        lambda i: forms.MariaEntryForm(prefix="post"),
        lambda i, f: operations.add_entry(
            i,
            current_user,
            section=f.section.data,
            entry_date=f.entry_date.data,
            source=f.source.data,
            karaktar=f.karaktar.data,
            text=f.text.data,
        ),
        "Uppgiften är sparad i händelseanalysen.",
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
            ivo_anmalan={"ja": True, "nej": False}.get(f.ivo_anmalan.data),
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
            region=f.region.data or "",
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


@bp.route("/<ref>/information", methods=["POST"])
@login_required
def inform(ref: str) -> Any:
    return _step(
        ref,
        "inform",
        lambda i: forms.InformForm(prefix="info"),
        lambda i, f: operations.record_information(
            i,
            current_user,
            informed_date=f.informed_date.data,
            who=f.informed_who.data or "",
            how=f.informed_how.data or "",
            points={k: bool(getattr(f, k).data) for k in INFO_POINTS},
            note=f.informed_note.data or "",
            not_informed_reason=f.not_informed_reason.data or "",
            expected_version=form_version(),
        ),
        "Informationen till patienten eller närstående är registrerad.",
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


# --- read logs (HSLF-FS 2016:40) ---------------------------------------------------------------


@bp.route("/<ref>/lasloggen")
@login_required
def read_log_view(ref: str) -> Any:
    """Who opened the case and when: the MAS over the unit, and administrators."""
    item = db.session.scalar(select(LexMariaArende).where(Item.ref == ref.upper()))
    if item is None or not (current_user.is_admin or _is_mas(item.unit)):
        raise NotFound()
    return render_template("lexmaria/read_log.html", item=item, log_entries=read_log(item))


def _parse_day(raw: str | None) -> Any:
    with contextlib.suppress(ValueError, TypeError):
        return datetime.strptime(raw or "", "%Y-%m-%d").date()
    return None


def _health_care_records() -> Any:
    """The items whose openings the loggkontroll reviews: lex Maria cases and health-care
    avvikelser (both read-logged, HSLF-FS 2016:40)."""
    return or_(
        Item.kind == SPEC.code,
        Avvikelse.health_care_items(),
    )


@bp.route("/lasloggen")
@login_required
def log_review() -> Any:
    """The MAS's systematic check of the access log: every opening of a lex Maria case or a
    health-care avvikelse in the MAS's scope, newest first, filtered by period and person."""
    paths = _mas_paths()
    if not paths and not current_user.is_admin:
        abort(403)
    query = (
        select(AuditEntry)
        .join(Item, Item.id == AuditEntry.item_id)
        .where(AuditEntry.action == "read", _health_care_records())
        .options(selectinload(AuditEntry.user), selectinload(AuditEntry.item))
    )
    if not current_user.is_admin:
        query = query.where(Item.unit_id.in_(units_under(paths)))
    start, end = _parse_day(request.args.get("fran")), _parse_day(request.args.get("till"))
    if start:
        query = query.where(AuditEntry.at >= clock.local_midnight_utc(start))
    if end:
        query = query.where(AuditEntry.at < clock.local_midnight_utc(end + timedelta(days=1)))
    person = request.args.get("person", "")
    if person.isdigit():
        query = query.where(AuditEntry.user_id == int(person))
    pagination = paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), 50)
    readers = db.session.execute(
        select(User.id, User.name)
        .where(
            User.id.in_(
                select(AuditEntry.user_id)
                .join(Item, Item.id == AuditEntry.item_id)
                .where(AuditEntry.action == "read", _health_care_records())
            )
        )
        .order_by(User.name)
    ).all()
    return render_template(
        "lexmaria/log_review.html",
        pagination=pagination,
        readers=readers,
        args=request.args,
        detail_url=detail_url,
    )


# --- the MAS's board ---------------------------------------------------------------------------


def _late_clause() -> Any:
    """A lex Maria case late in a step or with its utredning to IVO past due (the clause
    lex Sarah's board uses, on lex Maria's table)."""
    return late_clause(LexMariaArende.__table__, SPEC.workflow.open_states)


def _scope_query() -> Select[Any]:
    return select(L).where(visible_clause(current_user, [SPEC]), Item.cancelled_at.is_(None))


@bp.route("/")
@login_required
def board() -> Any:
    if not _mas_paths():
        abort(403)
    query = _scope_query()
    year = request.args.get("ar", "")
    if year.isdigit() and 2000 <= int(year) <= 2100:
        start = clock.local_midnight_utc(date(int(year), 1, 1))
        end = clock.local_midnight_utc(date(int(year) + 1, 1, 1))
        query = query.where(L.reported_at >= start, L.reported_at < end)
    step = request.args.get("steg", "oppna")
    if step in set(S):
        query = query.where(Item.status == step)
    elif step == "oppna":
        query = query.where(Item.status.in_(SPEC.workflow.open_states))
    query = query.order_by(
        case((_late_clause(), 0), else_=1),
        *due_date_order(),
        L.reported_at.desc(),
    )
    scope = _scope_query().subquery()
    per_step: dict[Any, int] = {
        status: count
        for status, count in db.session.execute(
            select(scope.c.status, func.count()).group_by(scope.c.status)
        )
    }
    late_count = db.session.scalar(
        select(func.count()).select_from(_scope_query().where(_late_clause()).subquery())
    )
    this_year = clock.today().year
    return render_template(
        "lexmaria/board.html",
        per_step=per_step,
        late_count=late_count,
        pagination=paginate(query),
        years=list(range(this_year, this_year - 5, -1)),
        states=SPEC.workflow.states,
        args=request.args,
        step=step,
        is_late=deadlines.is_late,
        step_labels=deadlines.STEP_LABELS,
    )


@bp.app_template_global("lexmaria_transfer_state")
def transfer_state(avvikelse: Item) -> tuple[bool, LexMariaArende | None]:
    """(may the user transfer this avvikelse to lex Maria, the case it already became)."""
    if not current_user.is_authenticated or not getattr(avvikelse, "health_care", False):
        return False, None
    existing = operations.transferred_case(avvikelse)
    if existing is not None and not holds_role_over(current_user, [Role.MAS], avvikelse.unit):
        existing = None  # only the MAS learns that a lex Maria case exists
    return (existing is None and operations.may_transfer(current_user, avvikelse)), existing


# The patientsäkerhetsberättelse pages are their own blueprint (its text kind needs its own
# URL segment in the API), registered together with this one.
bp.record_once(lambda state: state.app.register_blueprint(psb_views.bp))

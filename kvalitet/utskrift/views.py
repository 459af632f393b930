"""The print view and PDF of one item (any kind): its shared fields, the kind's own fields
that have a label below, quality areas, linked items the reader may see, and the timeline.

A kind whose reads are logged (lex Sarah) prints without the reporter, and every print or
PDF writes the read log before the page leaves (`@uow.writes`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, make_response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import String, inspect

from kvalitet.core import clock, uow
from kvalitet.core.web import format_date, format_datetime
from kvalitet.items.models import Item
from kvalitet.items.queries import load_item, log_read_if_needed, timeline, visible_links

bp = Blueprint("utskrift", __name__)

# Labels of the kinds' own fields that belong on paper (others, such as ids and codes, are
# shown by the kind's page). Keys are attribute names on the kind's model.
FIELD_LABELS: dict[str, str] = {
    "event_at": "Händelsen inträffade",
    "happened_at": "Händelsen inträffade",
    "noticed_at": "Uppmärksammades",
    "noticed_how_text": "Hur det uppmärksammades",
    "noticed_how": "Hur det uppmärksammades",
    "external_party": "Extern part",
    "consequence_actual": "Konsekvens som inträffade",
    "consequence_possible": "Konsekvens som kunde ha inträffat",
    "consequences": "Konsekvenser för den enskilde",
    "immediate_action": "Omedelbara åtgärder",
    "immediate_measures": "Omedelbara åtgärder",
    "immediate_measures_at": "Omedelbara åtgärder vidtogs",
    "analysis": "Analys",
    "assessment_text": "Bedömning",
    "decision_reason": "Motivering till beslutet",
    "decision_date": "Beslutsdatum",
    "ivo_filed_date": "Anmält till IVO",
    "ivo_diarienummer": "IVO:s diarienummer",
    "ivo_utredning_due": "Utredningen ska nå IVO senast",
    "ivo_utredning_sent_date": "Utredningen skickades till IVO",
    "spread_text": "Spridning av lärdomar",
    "ledningsgrupp_date": "Behandlat i ledningsgruppen",
    "closing_note": "Avslutande anteckning",
    "why": "Varför",
    "start_date": "Startdatum",
    "done_text": "Vad som gjordes",
    "effect_text": "Effekt",
    "effect_date": "Effekten följdes upp",
    "consequence_text": "Konsekvens",
    "review_date": "Ses över",
    "diarienummer": "Diarienummer",
    "received_date": "Inkom",
    "answer_text": "Svar",
    "explanation": "Förklaring",
    "answered_date": "Besvarad",
    "planned_date": "Planerat datum",
    "summary": "Sammanfattning",
    "performed_on": "Utförd",
    "done_note": "Anteckning",
    "text": "Text",
    "informed_note": "Information till den enskilde",
    "not_informed_reason": "Skäl till att den enskilde inte informerats",
}


PLAIN_STRINGS = frozenset({"diarienummer", "ivo_diarienummer"})


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def kind_fields(item: Item) -> list[tuple[str, str]]:
    """(label, value) of the kind's own labelled fields that have a value."""
    rows = []
    attr: Any
    for attr in inspect(item).mapper.column_attrs:
        label = FIELD_LABELS.get(attr.key)
        column = attr.columns[0]
        if label is None or column.table.name == "item":
            continue
        # A plain String is a code (shown in words by the kind's page), not text to print.
        if type(column.type) is String and attr.key not in PLAIN_STRINGS:
            continue
        value = getattr(item, attr.key)
        if value not in (None, ""):
            rows.append((label, _value(value)))
    return rows


def _context(item: Item) -> dict[str, Any]:
    return {
        "item": item,
        "fields": kind_fields(item),
        # lex Sarah (a kind whose reads are logged) prints without the reporter.
        "show_reporter": not item.spec.log_reads and item.reporter is not None,
        "links": visible_links(item, current_user),
        "events": timeline(item),
        "organisation": current_app.config.get("ORGANISATION_NAME", ""),
        "printed_by": current_user,
        "printed_at": clock.now(),
        "sensitive": item.spec.log_reads,
    }


@bp.route("/arende/<ref>/utskrift")
@login_required
@uow.writes  # writes the read log of sensitive kinds
def print_view(ref: str) -> Any:
    item: Item = load_item(ref, current_user)
    log_read_if_needed(current_user, item)
    return render_template("utskrift/item.html", pdf=False, **_context(item))


@bp.route("/arende/<ref>/utskrift.pdf")
@login_required
@uow.writes  # writes the read log of sensitive kinds
def print_pdf(ref: str) -> Any:
    item: Item = load_item(ref, current_user)
    log_read_if_needed(current_user, item)
    from weasyprint import HTML  # heavy; only when a PDF is asked for

    html = render_template("utskrift/item.html", pdf=True, **_context(item))
    pdf = HTML(string=html, base_url=request.url_root).write_pdf()
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{item.ref}.pdf"'
    return response

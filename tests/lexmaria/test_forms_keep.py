"""A refused form on the lex Maria page keeps what was typed in it, and the other forms keep
their pre-filled dates, so the next utredning entry can be sent as the page shows it."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.lexmaria import operations as ops
from kvalitet.lexmaria.models import LexMariaArende
from tests.lexmaria.helpers import fall_avvikelse


def _value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_refused_decision_keeps_typed_text_and_the_other_forms_dates(org, login_as):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    avvikelse = fall_avvikelse(org)
    mas = login_as(org.mas)
    assert mas.post(f"/lexmaria/fran-avvikelse/{avvikelse.id}").status_code == 302
    case = db.session.scalars(select(LexMariaArende)).one()
    ops.assess(case, org.mas, "allvarlig_vardskada", "Fraktur efter fall.")
    db.session.commit()
    refused = mas.post(f"/lexmaria/{case.ref}/beslut", {
        "beslut-ivo_anmalan": "ja", "beslut-decision_maker_id": org.avdchef_a.id,
        "beslut-decision_date": "2026-03-02",
        "beslut-decision_reason": "Motiveringen som skrevs.",
    })  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    # The refused form keeps what was typed (its own date, not today's).
    assert "Motiveringen som skrevs." in html
    assert _value(html, "beslut-decision_date") == "2026-03-02"
    # The utredning's date is pre-filled as on a fresh page: the next entry goes through.
    assert _value(html, "post-entry_date") == "2026-03-03"
    entry = mas.post(f"/lexmaria/{case.ref}/utredning", {
        "post-section": "handelse", "post-entry_date": _value(html, "post-entry_date"),
        "post-source": "Samtal med undersköterskor", "post-karaktar": "fakta",
        "post-text": "Två i stället för tre på natten.",
    })  # fmt: skip
    assert entry.status_code == 302

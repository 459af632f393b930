"""Freezing compares the figures themselves: the key figures a text's writer saw when saving
against the figures the report prints now. A case that changes a figure is listed with the
old and new value; a change to a case that moves no figure is not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kvalitet.avvikelser.stats import statistics as avvikelser_statistics
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.models import Berattelsetext
from tests.avvikelser.helpers import report as report_avvikelse
from tests.rapport.helpers import YEAR, use_only


def _text_of(report, unit):  # type: ignore[no-untyped-def]
    return db.session.scalars(
        select(Berattelsetext).where(
            Berattelsetext.rapport_id == report.id, Berattelsetext.block_unit_id == unit.id
        )
    ).first()


def test_changed_figures_name_the_figure_and_its_old_and_new_value(app, org, monkeypatch):  # type: ignore[no-untyped-def]
    use_only(monkeypatch, avvikelser=avvikelser_statistics)
    clock.freeze(datetime(2026, 3, 2, 9, 0))
    first = report_avvikelse(org.med_a1, unit=org.a1, title="Första")
    report_avvikelse(org.med_a1, unit=org.a1, title="Andra")
    report = ops.start_report(org.kvalitet, org.forv, YEAR)
    text = _text_of(report, org.avd_a)
    ops.save_text(org.avdchef_a, text, "Två avvikelser under året.")
    assert text.figures_seen and text.figures_seen["Avvikelser: Totalt"] == "2", text.figures_seen

    db.session.commit()  # the report's statistics run in worker threads with own sessions

    # Nothing changed: nothing listed.
    assert ops.freeze_check(report, compile_document(report))["changed_figures"] == []

    # A new title on a case moves no figure: still nothing (the old check counted cases).
    clock.freeze(datetime(2026, 3, 3, 9, 0))
    first.title = "Första, ny rubrik"
    db.session.commit()
    assert ops.freeze_check(report, compile_document(report))["changed_figures"] == []

    # A third avvikelse in Avdelning A moves its total: listed with the old and new value.
    report_avvikelse(org.med_a2, unit=org.a2, title="Tredje")
    db.session.commit()
    changed = ops.freeze_check(report, compile_document(report))["changed_figures"]
    assert len(changed) == 1, changed
    assert changed[0].startswith("Avdelning A:") and "Avvikelser: Totalt 2 → 3" in changed[0]

    # The förvaltning's own texts are compared with "Nyckeltal för hela förvaltningen".
    forv_text = _text_of(report, org.forv)
    ops.save_text(org.kvalitet, forv_text, "Tre avvikelser i förvaltningen.")
    assert forv_text.figures_seen["Avvikelser: Totalt"] == "3"
    report_avvikelse(org.med_a1, unit=org.b1, title="Fjärde")
    db.session.commit()
    changed = ops.freeze_check(report, compile_document(report))["changed_figures"]
    assert any(c.startswith("Förvaltning:") and "Totalt 3 → 4" in c for c in changed), changed
    assert not any(c.startswith("Avdelning B") for c in changed)  # no text written there
    clock.freeze(None)

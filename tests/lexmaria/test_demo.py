from __future__ import annotations

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.lexmaria.document import compile_document, plain_text
from kvalitet.lexmaria.models import LexMariaArende, Patientsakerhetsberattelse


def test_demo_fall_in_hemsjukvarden_reaches_the_patientsakerhetsberattelse(app, monkeypatch):  # type: ignore[no-untyped-def]
    import kvalitet.demo as demo

    monkeypatch.setattr(demo, "MODULES", ["atgarder", "avvikelser", "lexmaria"])
    ctx = demo.build()
    cases = db.session.scalars(select(LexMariaArende).order_by(LexMariaArende.id)).all()
    assert [c.status for c in cases] == ["avslutad", "utredning"]
    fall = cases[0]
    assert (
        fall.ivo_filed_date
        and fall.informed_who == "narstaende"
        and fall.unit.name == "Hemsjukvården"
    )
    berattelse = db.session.scalars(select(Patientsakerhetsberattelse)).one()
    assert berattelse.year == ctx.today.year - 1
    text = plain_text(compile_document(berattelse))
    assert fall.ref in text and "Ett fall i hemsjukvården ledde till" in text

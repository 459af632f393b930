"""Import of lex Sarah cases (to their beslut, IVO and avslut) and of risks: each row runs
the kind's own operations as history on the row's dates; a bad row imports nothing and is
named by row and column in Swedish."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kvalitet.api import import_templates, importer
from kvalitet.core import clock
from kvalitet.core.periods import quality_year
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.lexsarah import stats
from kvalitet.lexsarah.models import LexSarahArende
from kvalitet.notify.models import Notification
from kvalitet.org.operations import grant_role
from kvalitet.risker.models import Risk


def _count(code: str) -> int:
    return db.session.scalar(select(func.count(Item.id)).where(Item.kind == code)) or 0


def _lexsarah_file(org, **edits: str) -> tuple[list[str], list[list[str]]]:
    """Three rows of the template's example; `edits` (column label: value) change the
    second row."""
    kind = importer.import_kind("lexsarah")
    data = import_templates.template_csv(kind, org.kvalitet)
    headers, rows = importer.read_table("lexsarah.csv", data)
    second = list(rows[0])
    for label, value in edits.items():
        second[headers.index(label)] = value
    return headers, [rows[0], second, list(rows[0])]


@pytest.fixture
def sas_kvalitet(org):
    grant_role(None, org.kvalitet, Role.SAS, org.forv)  # the migrating account acts as SAS
    db.session.commit()
    return org.kvalitet


def test_lexsarah_rows_run_every_step_on_their_dates(org, sas_kvalitet):
    kind = importer.import_kind("lexsarah")
    headers, rows = _lexsarah_file(org)
    mapping = importer.guess_mapping(kind, headers)
    created, results = importer.run_import(kind, sas_kvalitet, headers, rows, mapping,
                                           "lexsarah.csv")  # fmt: skip
    db.session.commit()
    assert len(created) == 3 and all(r.ok for r in results)
    case = db.session.scalar(select(LexSarahArende).order_by(LexSarahArende.id).limit(1))
    assert case.ref == "LXS-2024-0001"
    assert case.status == "avslutad"
    assert clock.to_local(case.reported_at).date().isoformat() == "2024-10-01"
    assert clock.to_local(case.assessed_at).date().isoformat() == "2024-10-02"
    assert {e.entry_date.isoformat() for e in case.entries} == {"2024-10-10"}
    assert case.decision_date.isoformat() == "2024-11-01" and case.allvarligt
    assert case.ivo_filed_date.isoformat() == "2024-11-01" and case.ivo_region == "Mitt"
    assert case.ledningsgrupp_date.isoformat() == "2024-11-05"
    assert clock.to_local(case.closed_at).date().isoformat() == "2024-11-10"
    then = stats.statistics(org.forv, quality_year(2024))
    keys = ("rapporter", "utredningar", "beslut", "anmalda_ivo")
    assert [then[k] for k in keys] == [3, 3, 3, 3], then
    now = stats.statistics(org.forv, quality_year(2026))
    assert [now[k] for k in keys] == [0, 0, 0, 0]
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_bad_lexsarah_row_imports_nothing_and_is_named(org, sas_kvalitet):
    kind = importer.import_kind("lexsarah")
    # Row 3 closes the case before the ledningsgrupp went through the beslut.
    headers, rows = _lexsarah_file(org, **{"Avslutad (datum)": "2024-11-03"})
    mapping = importer.guess_mapping(kind, headers)
    with pytest.raises(importer.ImportFailed) as refused:
        importer.run_import(kind, sas_kvalitet, headers, rows, mapping, "lexsarah.csv")
    assert "rad 3, kolumn ”Avslutad (datum)”" in refused.value.message
    assert "ordning" in refused.value.message
    assert _count("LXS") == 0
    # Only the valid rows, when asked for: the bad row is undone alone.
    created, results = importer.run_import(kind, sas_kvalitet, headers, rows, mapping,
                                           "lexsarah.csv", partial=True)  # fmt: skip
    db.session.commit()
    assert len(created) == 2 and [r.number for r in results if not r.ok] == [3]
    assert _count("LXS") == 2
    # A step the workflow refuses is named at its column: allvarligt without an IVO date.
    headers, rows = _lexsarah_file(org, **{"Anmäld till IVO (datum)": ""})
    with pytest.raises(importer.ImportFailed) as refused:
        importer.run_import(kind, sas_kvalitet, headers, rows, mapping, "lexsarah.csv")
    assert "rad 3" in refused.value.message, refused.value.message
    assert _count("LXS") == 2


def test_lexsarah_import_needs_the_sas_role_too(org):
    kind = importer.import_kind("lexsarah")
    headers, rows = _lexsarah_file(org)
    with pytest.raises(importer.ImportFailed) as refused:
        importer.run_import(kind, org.kvalitet, headers, rows,
                            importer.guess_mapping(kind, headers), "lexsarah.csv")  # fmt: skip
    assert "rad 2" in refused.value.message
    assert _count("LXS") == 0


def test_risks_import_with_scales_texts_and_dates(org):
    kind = importer.import_kind("risker")
    data = (
        "Registrerad (datum);Enhet;Risk (rubrik);Riskanalys (beskrivning);Vad kan hända "
        "(konsekvens);Sannolikhet (1–4);Konsekvens (1–4);Kvarvarande sannolikhet (1–4);"
        "Kvarvarande konsekvens (1–4);Följs upp (datum)\n"
        "2023-02-01;Enhet A1;Fall vid förflyttning;Analys av fallrisken.;Fraktur;3;4;2;2;"
        "2023-08-01\n"
        "2023-03-01;Enhet A2;Läkemedel förväxlas;Analys.;Skada;5;2;;;\n"
    ).encode()
    headers, rows = importer.read_table("risker.csv", data)
    mapping = importer.guess_mapping(kind, headers)
    with pytest.raises(importer.ImportFailed) as refused:
        importer.run_import(kind, org.kvalitet, headers, rows, mapping, "risker.csv")
    assert "rad 3, kolumn ”Sannolikhet (1–4)”" in refused.value.message
    assert _count("RSK") == 0
    headers, rows = importer.read_table("risker.csv", data.replace(b";5;2;", b";1;2;"))
    created, _ = importer.run_import(kind, org.kvalitet, headers, rows, mapping, "risker.csv")
    db.session.commit()
    risk = db.session.scalar(select(Risk).where(Risk.title == "Fall vid förflyttning"))
    assert (risk.likelihood, risk.consequence, risk.risk_value) == (3, 4, 12)
    assert risk.residual_value == 4 and risk.review_date.isoformat() == "2023-08-01"
    assert risk.description == "Analys av fallrisken." and risk.consequence_text == "Fraktur"
    assert risk.ref.startswith("RSK-2023-") and len(created) == 2
    assert clock.to_local(risk.created_at).date().isoformat() == "2023-02-01"

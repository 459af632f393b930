"""The patientsäkerhetsberättelse: compiled for a calendar year from the health-care items,
texts ordered as tasks, Word and PDF files, frozen versions with a checksum."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.lexmaria import operations as ops
from kvalitet.lexmaria.document import compile_document, plain_text
from kvalitet.lexmaria.models import (
    REQUIRED_SECTIONS,
    FrozenPsbImmutable,
    PsbAvsnitt,
    PsbText,
    PsbVersion,
)
from tests.lexmaria.helpers import fall_avvikelse


def lex_maria_case_2026(org):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 5, 12, 10, 0, tzinfo=STOCKHOLM))
    avvikelse = fall_avvikelse(org)
    case = ops.transfer_from_avvikelse(avvikelse, org.mas)
    ops.assess(case, org.mas, "allvarlig_vardskada", "Fraktur efter fall.")
    for section in REQUIRED_SECTIONS:
        ops.add_entry(
            case,
            org.mas,
            section=section,
            entry_date=clock.today(),
            source="Journal",
            karaktar="fakta",
            text=f"{section.label}.",
        )
    ops.decide(
        case,
        org.mas,
        ivo_anmalan=True,
        decision_maker_id=org.mas.id,
        decision_date=clock.today(),
        reason="Allvarlig vårdskada.",
    )
    ops.file_ivo(case, org.mas, filed_date=clock.today(), channel="etjanst", attached=True)
    ops.record_information(
        case,
        org.mas,
        informed_date=clock.today(),
        who="narstaende",
        how="telefon",
        points={"info_handelse": True, "info_anmalan": True},
    )
    ops.create_action(
        case,
        org.mas,
        title="Förflyttningsrutin ses över",
        unit_id=org.a1.id,
        due_date=date(2026, 6, 30),
    )
    # A health-care avvikelse of the year before, for the comparison.
    clock.freeze(datetime(2025, 4, 2, 10, 0, tzinfo=STOCKHOLM))
    fall_avvikelse(org, title="Fall i hallen")
    return avvikelse, case


def _row(doc, caption, label):  # type: ignore[no-untyped-def]
    block = next(b for b in doc["blocks"] if b["t"] == "table" and b["caption"] == caption)
    return next(r for r in block["rows"] if r[0] == label)


def test_figures_come_from_the_years_health_care_items(org):
    _, case = lex_maria_case_2026(org)
    clock.freeze(datetime(2027, 1, 20, 9, 0, tzinfo=STOCKHOLM))
    berattelse = ops.start_berattelse(org.mas, org.forv, 2026)
    doc = compile_document(berattelse, org.mas)
    assert doc["title"] == "Patientsäkerhetsberättelse 2026"
    assert doc["period"]["start"] == "2026-01-01" and doc["due"] == "2027-03-01"
    # Every chapter of Socialstyrelsen's guidance, in order.
    headings = [b["text"] for b in doc["blocks"] if b["t"] == "h"]
    assert [x for x in headings if x != "Inledning"] == [a.label for a in PsbAvsnitt]
    assert _row(doc, "Avvikelser i hälso- och sjukvården", "Totalt")[1:3] == ["1", "1"]
    assert _row(doc, "Avvikelser i hälso- och sjukvården", "Överförda till lex Maria")[1] == "1"
    assert (
        _row(doc, "Avvikelser i hälso- och sjukvården", "Ledde till förbättringsåtgärd")[1] == "0"
    )
    assert _row(doc, "Lex Maria", "Anmälda till IVO")[1:3] == ["1", "0"]
    assert _row(doc, "Lex Maria", "Patient eller närstående informerad")[1] == "1"
    cases = _row(doc, "Lex Maria-ärenden under året", case.ref)
    assert cases[1:] == [
        "Enhet A1",
        "Händelsen har medfört en allvarlig vårdskada",
        "2026-05-12",
        "2026-05-12 (närstående)",
        "1",
    ]
    statuses = next(
        b
        for b in doc["blocks"]
        if b["t"] == "table"
        and b["caption"] == "Förbättringsåtgärder från årets händelser, per status"
    )
    assert sum(int(r[1]) for r in statuses["rows"]) == 1
    text = plain_text(doc)
    # Never a title or description about the patient, only counts and references.
    assert "Fall vid förflyttning" not in text and "höften" not in text
    # The law of the year: PSL and HSLF-FS 2017:40 are printed from the lagrum table.
    assert "3 kap. 10 § patientsäkerhetslagen (2010:659)" in text
    assert "HSLF-FS 2017:40" in text


def test_texts_are_tasks_of_those_responsible_and_a_frozen_version_keeps(org, login_as):
    lex_maria_case_2026(org)
    clock.freeze(datetime(2027, 1, 20, 9, 0, tzinfo=STOCKHOLM))
    mas = login_as(org.mas)
    r = mas.post("/patientsakerhetsberattelse/ny", {"unit_id": org.forv.id, "year": 2026})
    assert r.status_code == 302
    texts = db.session.scalars(select(PsbText)).all()
    assert len(texts) == len(PsbAvsnitt)
    owners = {t.avsnitt: t.owner_id for t in texts}
    assert owners["avvikelser"] == org.mas.id and owners["lexmaria"] == org.mas.id
    assert all(t.due_date == date(2027, 2, 15) for t in texts)
    # The text shows in the MAS's inbox as a task.
    assert "Patientsäkerhetsberättelse 2026: Avvikelser" in mas.get("/").text
    block = next(t for t in texts if t.avsnitt == "lexmaria")
    r = mas.post(
        f"/patientsakerhetsberattelse/text/{block.ref}",
        {
            "text": "Ett fall ledde till en allvarlig vårdskada och anmäldes.",
            "version": str(block.version),
        },
    )
    assert r.status_code == 302
    draft = mas.get(f"/patientsakerhetsberattelse/{block.berattelse_id}")
    assert draft.status_code == 200 and "Ett fall ledde till en allvarlig vårdskada" in draft.text

    # Readers (the nämnd) see no draft; a frozen version they do see.
    lasare = login_as(org.lasare)
    assert lasare.get(f"/patientsakerhetsberattelse/{block.berattelse_id}").status_code == 404
    r = mas.post(
        f"/patientsakerhetsberattelse/{block.berattelse_id}/frys", {"comment": "Till nämnden"}
    )
    assert r.status_code == 302
    version = db.session.scalars(select(PsbVersion)).one()
    assert ops.psb_verify(version)
    page = lasare.get(f"/patientsakerhetsberattelse/version/{version.id}")
    assert (
        page.status_code == 200
        and version.sha256 in page.text
        and "Innehållet stämmer" in page.text
    )

    # Later changes do not touch the frozen version.
    ops.save_psb_text(org.mas, db.session.get(PsbText, block.id), "Ändrad text.")
    assert (
        "Ett fall ledde till"
        in ops.psb_version_content(db.session.get(PsbVersion, version.id))["blocks"].__str__()
    )
    version.comment = "ändrad"
    with pytest.raises(FrozenPsbImmutable):
        db.session.flush()
    db.session.rollback()

    docx = lasare.get(f"/patientsakerhetsberattelse/version/{version.id}.docx")
    assert docx.status_code == 200
    word = Document(io.BytesIO(docx.data))
    paragraphs = [p.text for p in word.paragraphs]
    assert "Patientsäkerhetsberättelse 2026" in paragraphs
    assert any(p.startswith("Kalenderår: 2026") for p in paragraphs)
    assert any(version.sha256 in p for p in paragraphs)
    # Headings are numbered now ("7 Händelser …"), unless numbering is switched off.
    assert any(p.endswith("Händelser och vårdskador (lex Maria)") for p in paragraphs)

    pdf = lasare.get(f"/patientsakerhetsberattelse/version/{version.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Patientsäkerhetsberättelse 2026" in text and "Kalenderår: 2026" in text
    assert "Ett fall ledde till en allvarlig vårdskada" in text

    # A medarbetare may not read it.
    assert (
        login_as(org.med_a1).get(f"/patientsakerhetsberattelse/version/{version.id}").status_code
        == 404
    )


def test_only_managers_start_and_only_past_years(org, login_as):
    clock.freeze(datetime(2027, 1, 20, 9, 0, tzinfo=STOCKHOLM))
    r = login_as(org.chef_a1).post(
        "/patientsakerhetsberattelse/ny", {"unit_id": org.forv.id, "year": 2026}
    )
    assert r.status_code == 403
    assert db.session.scalars(select(PsbText)).first() is None
    from kvalitet.core.errors import OperationError

    with pytest.raises(OperationError):
        ops.start_berattelse(org.mas, org.forv, 2028)
    with pytest.raises(OperationError):
        ops.start_berattelse(org.mas, org.a1, 2026)

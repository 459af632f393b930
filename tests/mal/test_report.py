"""The follow-up report: the goal table per goal, the assessment with analysis and actions,
the statistics chapters for the same period (checked against hand counts), Word and PDF that
open and hold the table, and frozen versions with a checksum."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from typing import Any

from docx import Document
from pypdf import PdfReader

from kvalitet.core import clock
from kvalitet.mal import operations as ops
from kvalitet.mal import report
from kvalitet.mal.models import MalRapportVersion
from tests.avvikelser.helpers import report as report_avvikelse
from tests.mal.helpers import plan_with_goal


def filled(org: Any) -> dict[str, Any]:
    data = plan_with_goal(org)
    ops.save_utfall(
        org.chef_a1, data["share"], "T1", value=78, value_k=80, value_m=75, n_k=20, n_m=3
    )
    ops.save_utfall(
        org.chef_a1,
        data["share"],
        "T2",
        value="82,5",
        value_k=85,
        value_m=80,
        n_k=24,
        n_m=30,
        comment="Enkät i maj.",
    )
    data["count"].baseline = 10
    ops.save_utfall(org.chef_a1, data["count"], "T2", value=9)
    ops.save_bedomning(
        org.avdchef_a,
        data["goal"],
        "T2",
        value="delvis",
        orsak="SIP ökar inte.",
        analys="Samverkan med regionen saknas.",
        atgarder_text="Gemensam rutin för SIP.",
    )
    ops.new_atgard_for_goal(org.avdchef_a, data["goal"], "T2", title="Rutin för SIP")
    return data


def test_goal_table_and_assessment(org: Any) -> None:
    data = filled(org)
    rp = report.report_period(data["plan"], "T2")
    assert (
        rp is not None and rp.codes == ["T1", "T2"] and rp.title == "Delårsrapport 2026 (tertial 2)"
    )
    doc = report.compile_report(data["plan"], rp, org.kvalitet)
    tables = [b for b in doc["blocks"] if b["t"] == "table"]
    goal_table = next(t for t in tables if t["columns"] == report.COLUMNS)
    share_row = next(r for r in goal_table["rows"] if r[2] == "Andel nöjda brukare")
    assert share_row[3] == "minst 80 %"
    assert share_row[4] == "T1: 78 % (kvinnor 80 %, män <5); T2: 82,5 % (kvinnor 85 %, män 80 %)"
    assert share_row[5] == "● Målvärdet nått" and share_row[6] == "Chef A1"
    count_row = next(r for r in goal_table["rows"] if r[2] == "Antal SIP")
    assert count_row[4] == "Utgångsläge: 10; T2: 9" and count_row[5] == "○ Målvärdet inte nått"
    texts = [b.get("text", "") for b in doc["blocks"]]
    assert "◐ Målet är delvis uppnått" in texts
    assert "Analys: Samverkan med regionen saknas." in texts
    actions = next(t for t in tables if t["caption"] == "Förbättringsåtgärder")
    assert actions["rows"][0][1] == "Rutin för SIP"


def test_statistics_chapter_for_a_tertial_matches_hand_counts(org: Any) -> None:
    data = plan_with_goal(org)
    for day, unit in (
        ("2026-01-15", org.a1),
        ("2026-03-02", org.b1),
        ("2026-04-30", org.a2),
        ("2026-05-01", org.a1),
        ("2025-12-31", org.a1),
    ):
        clock.freeze(datetime.fromisoformat(day + "T12:00"))
        report_avvikelse(org.med_a1, unit)
    clock.freeze(None)
    doc = report.compile_report(data["plan"], report.report_period(data["plan"], "T1"))  # type: ignore[arg-type]
    figures = next(
        b for b in doc["blocks"] if b["t"] == "table" and b["caption"] == "Avvikelser: nyckeltal"
    )
    total = next(r for r in figures["rows"] if r[0] == "Totalt")
    assert total[1] == "3"  # 15 Jan, 2 Mar, 30 Apr; not 31 Dec or 1 May
    assert total[2] == "0"  # T1 2025
    custom = report.report_period(data["plan"], "2026-04-30_2026-05-01")
    assert custom is not None
    doc = report.compile_report(data["plan"], custom)
    figures = next(
        b for b in doc["blocks"] if b["t"] == "table" and b["caption"] == "Avvikelser: nyckeltal"
    )
    assert next(r for r in figures["rows"] if r[0] == "Totalt")[1] == "2"


def test_word_and_pdf_hold_the_table(org: Any, tmp_path: Any) -> None:
    data = filled(org)
    rp = report.report_period(data["plan"], "T2")
    assert rp is not None
    doc = report.compile_report(data["plan"], rp, org.kvalitet)
    word = Document(io.BytesIO(report.docx_bytes(doc)))
    paragraphs = [p.text for p in word.paragraphs]
    assert any(p.startswith("Period: ") and "2026-05-01 – 2026-08-31" in p for p in paragraphs)
    assert not any(p.startswith("Kvalitetsår") for p in paragraphs)
    header = [c.text for c in word.tables[1].rows[0].cells] if len(word.tables) > 1 else []
    assert any([c.text for c in t.rows[0].cells] == report.COLUMNS for t in word.tables), header
    pdf = report.pdf_bytes(doc)
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "Delårsrapport 2026" in text and "Andel nöjda brukare" in text, text[:3000]
    assert "Kvalitetsår 2026" not in text and "<br>" not in text
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(path), str(tmp_path / "sida")],
        check=True,
    )
    # pdftoppm pads the page number to the width of the page count (sida-1, sida-01, ...).
    assert sorted(tmp_path.glob("sida-*1.png")), list(tmp_path.iterdir())


def test_freeze_keeps_version_with_checksum(org: Any, login_as: Any) -> None:
    data = filled(org)
    web = login_as(org.kvalitet)
    plan_id = data["plan"].id
    page = web.get(f"/mal/plan/{plan_id}/rapport?period=T2")
    assert page.status_code == 200 and "Delårsrapport 2026" in page.get_data(as_text=True)
    response = web.post(f"/mal/plan/{plan_id}/rapport?period=T2", {"comment": "Till nämnden"})
    assert response.status_code == 302
    from kvalitet.extensions import db

    version = db.session.query(MalRapportVersion).one()
    assert report.verify(version) and version.number == 1 and version.period == "T2"
    shown = web.get(f"/mal/rapport/version/{version.id}").get_data(as_text=True)
    assert version.sha256 in shown and "Innehållet stämmer" in shown
    docx = web.get(f"/mal/rapport/version/{version.id}?format=docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    pdf = web.get(f"/mal/plan/{plan_id}/rapport?period=T2&format=pdf")
    assert pdf.data.startswith(b"%PDF")
    # Later changes do not touch the frozen version.
    ops.save_utfall(org.chef_a1, data["count"], "T2", value=30)
    assert "T2: 9" in version.content and report.verify(version)


def test_kvalitetsberattelse_gets_the_goal_chapter(org: Any) -> None:
    from kvalitet.rapport.document import compile_document
    from kvalitet.rapport.operations import start_report

    data = filled(org)  # plan 2026 at the förvaltning; quality year 2025/26 ends in August
    rapport = start_report(org.kvalitet, org.forv, 2025)
    doc = compile_document(rapport, org.kvalitet)
    headings = [b["text"] for b in doc["blocks"] if b["t"] == "h"]
    assert "Måluppföljning" in headings
    assert headings.index("Måluppföljning") < headings.index("Avdelning A")
    goal_table = next(
        b for b in doc["blocks"] if b["t"] == "table" and b["columns"] == report.COLUMNS
    )
    share = next(r for r in goal_table["rows"] if r[2] == "Andel nöjda brukare")
    assert share[4].endswith("T2: 82,5 % (kvinnor 85 %, män 80 %)")
    assert data["plan"].year == 2026

"""The kvalitetsberättelse compiled from a known dataset: numbers, both förbättringsåtgärder
tables, previous-year comparison, suppression, narratives as tasks, missing texts."""

from __future__ import annotations

from typing import Any

from kvalitet.extensions import db
from kvalitet.items.queries import inbox_query
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.models import Berattelsetext, TextStatus
from tests.rapport.helpers import YEAR, area_names, dataset, fake_synpunkter, use_only


def chapter(doc: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """Blocks of the level-1 chapter `title`."""
    blocks = doc["blocks"]
    start = next(i for i, b in enumerate(blocks) if b["t"] == "h" and b["level"] == 1
                 and b["text"] == title)  # fmt: skip
    end = next((i for i in range(start + 1, len(blocks))
                if blocks[i]["t"] == "h" and blocks[i]["level"] == 1), len(blocks))  # fmt: skip
    return blocks[start:end]


def appendix_of(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Blocks of the appendix section (level 2) of unit `name`."""
    blocks = chapter(doc, "Bilaga 1. Statistik per avdelning")
    start = next(i for i, b in enumerate(blocks) if b["t"] == "h" and b["level"] == 2
                 and b["text"] == name)  # fmt: skip
    end = next((i for i in range(start + 1, len(blocks))
                if blocks[i]["t"] == "h" and blocks[i]["level"] == 2), len(blocks))  # fmt: skip
    return blocks[start:end]


def table_of(blocks: list[dict[str, Any]], caption: str) -> dict[str, Any]:
    return next(b for b in blocks if b["t"] == "table" and b["caption"] == caption)


def test_known_dataset_numbers_tables_and_previous_year(app, org, monkeypatch):
    dataset(org)
    use_only(monkeypatch, synpunkter=fake_synpunkter)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    doc = compile_document(rapport, org.kvalitet)

    assert doc["title"] == "Kvalitetsberättelse 2025/26"
    assert doc["period"] == {"label": "2025/26", "start": "2025-09-01", "end": "2026-08-31",
                             "previous": "2024/25"}  # fmt: skip
    top = [b["text"] for b in doc["blocks"] if b["t"] == "h" and b["level"] == 1]
    assert top == ["Inledning", "Sammanfattande bedömning", "Avdelning A", "Avdelning B",
                   "Bilaga 1. Statistik per avdelning"]  # fmt: skip
    # Numbered headings; the appendix is not numbered.
    numbers = [b.get("num") for b in doc["blocks"] if b["t"] == "h" and b["level"] == 1]
    assert numbers == ["1", "2", "3", "4", None]

    avd_a = chapter(doc, "Avdelning A")
    # "Förbättringsarbetet sedan förra uppföljningen": last year's proposals and the open
    # carried-over one, with what was done and the effect; nothing from another avdelning.
    earlier = table_of(avd_a, "Förbättringsarbetet sedan förra uppföljningen")
    assert earlier["columns"] == ["Förslag till förbättringsåtgärd",
                                  "Åtgärder som påbörjats/pågår/avslutats",
                                  "Uppföljning av åtgärdernas effekt"]  # fmt: skip
    rows = {r[0].split(" (")[0]: r for r in earlier["rows"]}
    assert set(rows) == {"Ny introduktionsrutin", "Checklista vid hembesök",
                         "Gemensam mall för utredningar"}  # fmt: skip
    # By default the cells hold exactly what people wrote (RAPPORT_TABLE_LABELS False).
    assert rows["Ny introduktionsrutin"][0] == "Ny introduktionsrutin"
    assert rows["Ny introduktionsrutin"][1] == "Rutinen infördes i januari"
    assert rows["Ny introduktionsrutin"][2] == "Färre dokumentationsbrister"
    assert rows["Checklista vid hembesök"][1:] == ["", ""]
    # With the setting on, reference numbers, the status and the placeholder are added.
    app.config["RAPPORT_TABLE_LABELS"] = True
    labelled = table_of(chapter(compile_document(rapport, org.kvalitet), "Avdelning A"),
                        "Förbättringsarbetet sedan förra uppföljningen")  # fmt: skip
    app.config["RAPPORT_TABLE_LABELS"] = False
    rows = {r[0].split(" (")[0]: r for r in labelled["rows"]}
    assert rows["Ny introduktionsrutin"][0].startswith("Ny introduktionsrutin (ATG-")
    assert rows["Ny introduktionsrutin"][1] == "Genomförd: Rutinen infördes i januari"
    assert rows["Checklista vid hembesök"][1] == "Pågår"
    assert rows["Gemensam mall för utredningar"][1] == "Påbörjad"
    assert "inte följd upp" in rows["Checklista vid hembesök"][2]

    # "Årets bedömning": this year's actions with their quality areas.
    areas = area_names()
    this_year = table_of(avd_a, "Årets bedömning")
    assert this_year["columns"] == ["Förbättringsåtgärd", "Kvalitetsområde", "Underlag", "Status"]
    this_rows = {r[0].split(" (")[0]: r[1] for r in this_year["rows"]}
    assert this_rows == {
        "Utbildning i sekretess": f"{areas[0]}, {areas[1]}",
        "Bättre överlämningar": "–",
    }
    avd_b = chapter(doc, "Avdelning B")
    assert [r[0].split(" (")[0] for r in table_of(avd_b, "Årets bedömning")["rows"]] == [
        "Åtgärd i avdelning B"
    ]

    # The full breakdowns are in the appendix.
    full_a = appendix_of(doc, "Avdelning A")
    # Förbättringsåtgärder by status, this year beside last year (A: 2 this, 2 last year).
    status = table_of(full_a, "Förbättringsåtgärder: per status")
    by_status = {r[0]: r[1:] for r in status["rows"]}
    assert by_status["Föreslagen"] == ["1", "0", "+1"]
    assert by_status["Påbörjad"] == ["1", "0", "+1"]
    assert by_status["Pågår"] == ["0", "1", "−1"]
    assert by_status["Genomförd"] == ["0", "1", "−1"]
    assert status["columns"][1:3] == ["2025/26", "2024/25"]

    # Stats from a kind module: key figures and breakdowns with the previous year.
    key = table_of(full_a, "Synpunkter och klagomål: nyckeltal")
    assert key["columns"] == ["Mått", "2025/26", "2024/25", "Förändring"]
    assert ["Antal", "12", "9", "+3"] in key["rows"]
    assert ["Andel besvarade i tid (%)", "75", "50", "+25"] in key["rows"]
    typ = table_of(full_a, "Synpunkter och klagomål: per typ")
    assert typ["rows"] == [["Klagomål", "8", "5", "+3"], ["Synpunkt", "3", "4", "−1"],
                           ["Beröm", "1", "0", "+1"]]  # fmt: skip
    assert any(b["t"] == "chart" and b["title"] == "Synpunkter och klagomål: per typ"
               for b in full_a)  # fmt: skip
    # By sex: groups under 5 suppressed, no change column that would reveal them, no chart.
    kon = table_of(full_a, "Synpunkter och klagomål: per kön")
    assert kon["rows"] == [["Kvinna", "9", "6", ""], ["Man", "<5", "<5", ""]]
    assert kon["suppressed"] is True
    assert not any(b["t"] == "chart" and "kön" in b["title"] for b in doc["blocks"])
    # A module without stats.py yet: a note, not a crash.
    notes = [b["text"] for b in full_a if b["t"] == "note"]
    assert "Uppgifter om lex sarah saknas ännu i systemet." in notes

    # Avvikelser per enhet with under-reporting flags (no avvikelser in this dataset).
    per_enhet = table_of(avd_a, "Avvikelser per enhet")
    assert per_enhet["rows"] == [["Enhet A1", "0", "0", "±0", "Inga rapporter"],
                                 ["Enhet A2", "0", "0", "±0", "Inga rapporter"]]  # fmt: skip

    # Förvaltning key figures: sum over the subtree, previous year beside it.
    nyckeltal = table_of(chapter(doc, "Sammanfattande bedömning"),
                         "Nyckeltal för hela förvaltningen")  # fmt: skip
    assert ["Synpunkter och klagomål", "Antal", "12", "9", "+3"] in nyckeltal["rows"]
    assert ["Förbättringsåtgärder", "Beslutade under året", "3", "2", "+1"] in nyckeltal["rows"]


def test_narratives_are_tasks_and_missing_texts_are_seen(app, org, monkeypatch):
    use_only(monkeypatch)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    n_areas = len(area_names())
    texts = db.session.query(Berattelsetext).filter_by(rapport_id=rapport.id).all()
    # Per quality area, and "identifierade förbättringsområden": once for the förvaltning,
    # under each quality area for each of the two avdelningar.
    assert len(texts) == (n_areas + 1) + 2 * (2 * n_areas)
    forbattring = [t for t in texts if t.unit_id == org.avd_a.id
                   and t.block_typ == "forbattringsomraden"]  # fmt: skip
    assert sorted(t.area.name for t in forbattring) == sorted(area_names())
    mine = [t for t in texts if t.unit_id == org.avd_a.id]
    assert {t.owner_id for t in mine} == {org.avdchef_a.id}
    assert all(t.due_date and t.status == TextStatus.EJ_PABORJAD for t in texts)
    # They are in the chef's Mina ärenden.
    inbox = db.session.scalars(inbox_query(org.avdchef_a)).all()
    assert {t.id for t in mine} <= {i.id for i in inbox}
    # Starting again orders nothing twice.
    ops.start_report(org.kvalitet, org.forv, YEAR)
    assert db.session.query(Berattelsetext).filter_by(rapport_id=rapport.id).count() == len(texts)

    block = next(t for t in mine if t.area and t.area.name == area_names()[0])
    doc = compile_document(rapport)
    assert len(doc["missing"]) == len(texts)
    ops.save_text(org.avdchef_a, block, "Första stycket.\n\nAndra stycket.")
    assert block.status == TextStatus.UTKAST
    from kvalitet.core.workflow import run_transition

    run_transition(block, "klar", org.avdchef_a)
    doc = compile_document(rapport)
    assert len(doc["missing"]) == len(texts) - 1
    avd_a = chapter(doc, "Avdelning A")
    paragraphs = [b["text"] for b in avd_a if b["t"] == "p"]
    assert paragraphs[:2] == ["Första stycket.", "Andra stycket."]
    assert any(b["t"] == "note" and b["text"].startswith("Texten saknas (Avd Chef A")
               for b in avd_a)  # fmt: skip
    # "Identifierade förbättringsområden" follows each quality area's analysis, one level
    # below it; each area's text is its own.
    headings = [(b["level"], b["text"]) for b in avd_a if b["t"] == "h" and b["level"] >= 3]
    expected = []
    for name in area_names():
        expected += [(3, name), (4, "Identifierade förbättringsområden")]
    assert headings[: len(expected)] == expected
    first_area = next(t for t in forbattring if t.area.name == area_names()[0])
    ops.save_text(org.avdchef_a, first_area, "Rutinen för överlämning ska ses över.")
    avd_a = chapter(compile_document(rapport), "Avdelning A")
    at = next(i for i, b in enumerate(avd_a) if b["t"] == "h" and b["level"] == 4)
    assert avd_a[at + 1]["text"] == "Rutinen för överlämning ska ses över."
    assert "num" not in avd_a[at]  # headings are numbered to three levels


def test_real_stats_modules_fill_every_chapter(app, org):
    """With the kind modules' own stats.py (in worker threads): no section fails, and every
    module that has stats gives its key-figure table with both years."""
    from kvalitet.rapport.document import STAT_SOURCES, load_stats

    dataset(org)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    doc = compile_document(rapport, org.kvalitet)
    full_a = appendix_of(doc, "Avdelning A")
    notes = [b["text"] for b in doc["blocks"] if b["t"] == "note"]
    assert not [n for n in notes if "kunde inte tas fram" in n]
    for module, title in STAT_SOURCES:
        if load_stats(module) is not None:
            key = table_of(full_a, f"{title}: nyckeltal")
            assert key["columns"][1:3] == ["2025/26", "2024/25"]


def test_a_chapter_heading_with_its_own_number_is_not_numbered_twice(app, org, monkeypatch):
    """Goal headings carry the plan's number ("1.2 Ökad trygghet"); the report printed
    "3.1 1.2 Ökad trygghet" in its headings and table of contents."""
    from kvalitet.rapport import document
    from kvalitet.rapport.document import h
    from kvalitet.rapport.layout import heading_text, toc_entries

    use_only(monkeypatch)
    chapter_blocks = [
        h(1, "Måluppföljning", "maluppfoljning"),
        h(2, "1.2 Ökad trygghet", "mal-1"),
        h(2, "Sammanfattning", "mal-s"),
    ]
    monkeypatch.setattr(
        document, "CHAPTERS", [lambda root, period: [dict(b) for b in chapter_blocks]]
    )
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    doc = compile_document(rapport)
    printed = [heading_text(b) for b in toc_entries(doc["blocks"])]
    assert "1.2 Ökad trygghet" in printed
    assert not any(t.endswith(" 1.2 Ökad trygghet") for t in printed), printed
    chapter_at = printed.index(next(t for t in printed if t.endswith("Måluppföljning")))
    assert printed[chapter_at].split()[0].isdigit()  # the chapter itself keeps its number
    assert printed[chapter_at + 2].split()[0].count(".") == 1  # "3.1 Sammanfattning"


def test_the_report_counts_the_years_items_per_quality_area(app, org):
    dataset(org)
    areas = area_names()
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    blocks = chapter(compile_document(rapport, org.kvalitet), "Sammanfattande bedömning")
    found = next(b for b in blocks if b["t"] == "table"
                 and b["caption"].startswith("Ärenden per kvalitetsområde 2025/26"))  # fmt: skip
    column = found["columns"].index("Förbättringsåtgärder")
    counts = {r[0]: r[column] for r in found["rows"]}
    # "Utbildning i sekretess" has two areas; this year's other two actions have none.
    assert counts[areas[0]] == "1" and counts[areas[1]] == "1"
    assert counts["Utan kvalitetsområde"] == "2"
    assert all(
        c == "0" for name, c in counts.items() if name not in (*areas[:2], "Utan kvalitetsområde")
    )

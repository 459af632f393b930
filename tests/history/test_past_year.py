"""Done when (issue 14): a past quality year loaded entirely through the API and the import
yields a kvalitetsberättelse for that year whose counts equal the loaded data and whose two
action tables reproduce the loaded texts cell for cell; nothing of it is in this year's
figures or in anyone's inbox."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.items.queries import inbox_counts
from kvalitet.lexsarah.models import Sektion
from kvalitet.notify.models import Notification
from kvalitet.org.operations import grant_role
from kvalitet.rapport.document import texts_of
from kvalitet.rapport.models import Kvalitetsberattelse
from kvalitet.rapport.operations import save_text

FORBATTRING = "Överlämningen mellan dag och kväll behöver en gemensam rutin."
YEAR = "2024/25"  # 2024-09-01 – 2025-08-31 (the quality year starts in September)
LONG = ("Införa en gemensam rutin för överlämning mellan dag- och kvällspersonal där varje "
        "brukares läkemedel, pågående insatser och kontaktpersoner gås igenom muntligt och "
        "skriftligt, så att ingen uppgift tappas bort när personalen byts. ") * 5  # fmt: skip


def _import(kind: str, actor: Any, filename: str, rows: list[list[str]]) -> list[Any]:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    data = out.getvalue().encode("utf-8")
    spec = importer.import_kind(kind)
    headers, body = importer.read_table(filename, data)
    created, _results = importer.run_import(
        spec, actor, headers, body, importer.guess_mapping(spec, headers), filename
    )
    db.session.commit()
    return created


AVVIKELSER = [
    ["Datum", "Enhet", "Kategori", "Beskrivning", "Status", "Avslutad (datum)"],
    ["2024-09-12", "Enhet A1", "Dokumentation", "Journalanteckning saknades", "Avslutad",
     "2024-10-01"],
    ["2024-11-03", "Enhet A1", "Dokumentation", "Beslut utan motivering", "Avslutad",
     "2024-12-01"],
    ["2025-01-20", "Enhet A2", "Dokumentation", "Fel mottagare", "Avslutad", "2025-02-01"],
    ["2025-03-04", "Enhet A2", "Övrigt", "Nyckel borttappad", "Avslutad", "2025-03-10"],
]  # fmt: skip
SYNPUNKTER = [
    ["Mottagen", "Enhet", "Vad det gäller", "Typ", "Status", "Avslutad (datum)"],
    ["2024-10-02", "Enhet A1", "Bemötande i telefon", "Klagomål", "Avslutad", "2024-10-20"],
    ["2024-12-05", "Enhet A1", "Väntetid på beslut", "Klagomål", "Avslutad", "2024-12-20"],
    ["2025-02-11", "Enhet A2", "Maten", "Klagomål", "Avslutad", "2025-03-01"],
    ["2025-04-01", "Enhet A2", "Fler aktiviteter", "Synpunkt", "Avslutad", "2025-04-15"],
    ["2025-05-05", "Enhet A1", "Tack för hjälpen", "Beröm", "Avslutad", "2025-05-06"],
]  # fmt: skip


LEXSARAH = [
    ["Källans nummer", "Enhet", "Rubrik", "Vad hände", "Rapporterad (datum)", "Bedömd (datum)",
     "Bedömning", "Bedömningens motivering", "Utredning (datum)",
     "Utredningen (sammanfattning)", "Beslut (datum)", "Beslutets utfall",
     "Allvarligt missförhållande", "Beslutsfattare (e-post)", "Beslutets motivering",
     "Avslutad (datum)", "Avslutande kommentar"],
    ["Dnr 2025/12", "Enhet A1", "Händelse", "Vad som hände.", "2025-02-01", "2025-02-01",
     "Missförhållande", "Utreds.", "2025-02-10", "Uppgift ur utredningen i pärmen.",
     "2025-03-01", "Ej missförhållande", "nej", "sas.samordnare@test.se", "Motivering.",
     "2025-03-01", "Avslutat i pärmen."],
]  # fmt: skip


def _atgarder(areas: list[str]) -> list[list[str]]:
    return [
        ["Registrerad (datum)", "Enhet", "Vad ska göras (rubrik)", "Beskrivning",
         "Kvalitetsområden", "Underlag", "Vad som gjorts", "Effekt",
         "Återkommer nästa år", "Status", "Avslutad (datum)"],
        # Decided in the year before (2023/24): the report follows them up.
        ["2023-10-10", "Enhet A1", "Ny introduktionsrutin", "", areas[0], "Årets analys",
         "Rutinen infördes i januari och alla nyanställda har gått den.",
         "Färre dokumentationsbrister hos nyanställda.", "nej", "Genomförd", "2024-02-01"],
        ["2023-11-15", "Enhet A2", "Checklista vid hembesök", "", areas[1], "Egenkontroll",
         "Checklistan är framtagen men används ännu inte överallt.", "", "ja", "Pågår", ""],
        # Decided in the year itself (2024/25).
        ["2024-10-05", "Enhet A1", "Gemensam överlämning", LONG.strip(),
         f"{areas[0]}; {areas[2]}", "Avvikelser om läkemedel", "", "", "nej", "", ""],
        ["2025-03-01", "Enhet A2", "Utbildning i sekretess", "", areas[1], "Klagomål", "", "",
         "nej", "", ""],
    ]  # fmt: skip


def _lexsarah(api: Any, org: Any, day: str, decide: dict[str, Any], ivo: bool) -> str:
    def step(ref: str, when: str, name: str, body: dict[str, Any]) -> None:
        response = api.post(f"/api/v1/lexsarah/{ref}/{name}?occurred_at={when}", json=body)
        assert response.status_code in (200, 201), (name, response.get_json())

    made = api.post(
        f"/api/v1/lexsarah?occurred_at={day}&source=Pärm 2024",
        json={"unit_id": org.a1.id, "title": "Händelse", "description": "Vad som hände."},
    )
    assert made.status_code == 201, made.get_json()
    ref = made.get_json()["ref"]
    step(ref, day, "bedomning", {"assessment": "missforhallande", "text": "Utreds."})
    for section in Sektion:
        step(
            ref,
            day,
            "utredning",
            {
                "section": str(section),
                "entry_date": day,
                "source": "Samtal",
                "karaktar": "fakta",
                "text": "Uppgift.",
            },
        )
    step(
        ref,
        decide["decision_date"],
        "beslut",
        {**decide, "decision_maker_id": org.sas.id, "reason": "Motivering."},
    )
    if ivo:
        step(
            ref,
            decide["decision_date"],
            "ivo",
            {
                "filed_date": decide["decision_date"],
                "channel": "etjanst",
                "region": "Mitt",
                "attached": True,
            },
        )
    step(
        ref,
        decide["decision_date"],
        "spridning",
        {"unit_ids": [], "spread_text": "", "ledningsgrupp_date": decide["decision_date"]},
    )
    step(ref, decide["decision_date"], "avsluta", {"note": "Avslutat i pärmen."})
    return ref


def _table(doc: dict[str, Any], chapter: str, caption: str) -> dict[str, Any]:
    blocks = doc["blocks"]
    start = next(
        i
        for i, b in enumerate(blocks)
        if b["t"] == "h" and b["level"] == 1 and b["text"] == chapter
    )
    for block in blocks[start + 1 :]:
        if block["t"] == "h" and block["level"] == 1:
            break
        if block["t"] == "table" and block["caption"] == caption:
            return block
    raise AssertionError(f"{caption} saknas i {chapter}")


@pytest.mark.parametrize("labels", [False])
def test_a_past_year_through_api_and_import_gives_its_report(
    org, api_as, app, labels, login_as, tmp_path
):
    app.config["RAPPORT_TABLE_LABELS"] = labels
    grant_role(None, org.kvalitet, Role.SAS, org.forv)
    db.session.commit()
    areas = [a.name for a in db.session.query(QualityArea).order_by(QualityArea.sort_order)]
    _import("avvikelser", org.kvalitet, "avvikelser 2024-25.csv", AVVIKELSER)
    _import("synpunkter", org.kvalitet, "synpunkter 2024-25.csv", SYNPUNKTER)
    _import("atgarder", org.kvalitet, "åtgärder.csv", _atgarder(areas))
    api = api_as(org.kvalitet)
    _lexsarah(
        api,
        org,
        "2024-10-01",
        {"outcome": "missforhallande", "allvarligt": True, "decision_date": "2024-11-01"},
        ivo=True,
    )
    # The second case comes through the import, from its rapport to its avslut.
    made = _import("lexsarah", org.kvalitet, "lex sarah 2024-25.csv", LEXSARAH)
    assert [m.status for m in made] == ["avslutad"]

    started = api.post("/api/v1/kvalitetsberattelser", json={"unit_id": org.forv.id, "year": YEAR})
    assert started.status_code == 201, started.get_json()
    # The avdelning's förbättringsområden, written under one quality area.
    rapport = db.session.get(Kvalitetsberattelse, started.get_json()["id"])
    area_text = next(t for t in texts_of(rapport).values()
                     if t.block_unit_id == org.avd_a.id and t.block_typ == "forbattringsomraden"
                     and t.area is not None and t.area.name == areas[1])  # fmt: skip
    save_text(org.avdchef_a, area_text, FORBATTRING)
    db.session.commit()
    doc = api.get(f"/api/v1/kvalitetsberattelser/{started.get_json()['id']}").get_json()
    doc = doc["document"]

    # "Identifierade förbättringsområden" under each quality area of the avdelning, the text
    # under the area it was written for.
    avd_a = _chapter(doc, "Avdelning A")
    heads = [(b["level"], b["text"]) for b in avd_a if b["t"] == "h" and b["level"] >= 3]
    for name in areas:
        at = heads.index((3, name))
        assert heads[at + 1] == (4, "Identifierade förbättringsområden")
    at = next(i for i, b in enumerate(avd_a) if b["t"] == "h" and b["text"] == areas[1])
    under = next(i for i in range(at, len(avd_a)) if avd_a[i]["t"] == "h" and
                 avd_a[i]["level"] == 4)  # fmt: skip
    assert avd_a[under + 1] == {"t": "p", "text": FORBATTRING}

    # The counts equal the loaded data (the appendix's whole förvaltning).
    whole = _appendix(doc, "Hela förvaltningen")
    assert rows_of(whole, "Lex Sarah: nyckeltal") == {
        "Rapporter": "2",
        "Utredningar": "2",
        "Beslut": "2",
        "Missförhållanden och påtagliga risker": "1",
        "Allvarliga": "1",
        "Anmälda till IVO": "1",
    }
    assert rows_of(whole, "Synpunkter och klagomål: per typ") == {
        "Klagomål": "3",
        "Synpunkt": "1",
        "Beröm": "1",
    }
    categories = {k: v for k, v in rows_of(whole, "Avvikelser: per kategori").items() if v != "0"}
    assert categories == {"Dokumentation": "3", "Övrigt": "1"}

    # The two action tables hold exactly the texts that were loaded, cell for cell.
    earlier = _table(doc, "Avdelning A", "Förbättringsarbetet sedan förra uppföljningen")
    assert earlier["rows"] == [
        ["Checklista vid hembesök", "Checklistan är framtagen men används ännu inte överallt.",
         ""],
        ["Ny introduktionsrutin", "Rutinen infördes i januari och alla nyanställda har gått den.",
         "Färre dokumentationsbrister hos nyanställda."],
    ]  # fmt: skip
    this_year = _table(doc, "Avdelning A", "Årets bedömning")
    assert this_year["rows"] == [
        [LONG.strip(), f"{areas[0]}, {areas[2]}", "Avvikelser om läkemedel", "Föreslagen"],
        ["Utbildning i sekretess", areas[1], "Klagomål", "Föreslagen"],
    ]
    assert len(this_year["rows"][0][0]) > 1000

    # Word and PDF print the whole text of more than 1,000 characters.
    web = login_as(org.kvalitet)
    rapport_id = started.get_json()["id"]
    words = " ".join(LONG.split())
    docx = web.get(f"/kvalitetsberattelse/{rapport_id}/utkast.docx")
    assert docx.status_code == 200
    paragraphs = Document(io.BytesIO(docx.data))
    cells = [" ".join(c.text.split()) for t in paragraphs.tables for r in t.rows
             for c in r.cells]  # fmt: skip
    assert words in cells
    assert FORBATTRING in [p.text for p in paragraphs.paragraphs]
    assert any(p.text == "Identifierade förbättringsområden" and p.style.name == "Heading 4"
               for p in paragraphs.paragraphs)  # fmt: skip
    pdf = web.get(f"/kvalitetsberattelse/{rapport_id}/utkast.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    flat = " ".join(text.replace("-\n", "").split())
    assert flat.count("så att ingen uppgift tappas bort när personalen byts.") >= 5
    assert FORBATTRING in flat
    if os.environ.get("KVALITET_KEEP_PDF"):
        (Path(os.environ["KVALITET_KEEP_PDF"])).write_bytes(pdf.data)

    # Nothing of it in this year's figures, nor as anyone's due work.
    now = api.get("/api/v1/statistics/avvikelser?year=2026/27").get_json()
    assert now["current"]["total"] == 0, now["current"]
    for user in (org.kvalitet, org.sas, org.chef_a1, org.chef_a2, org.avdchef_a):
        assert inbox_counts(user)["forsenade"] == 0, user
    # The only notices are the report's orders of texts for this report, written now.
    noticed = db.session.scalars(select(Item.kind).join(Notification, Notification.item_id
                                                        == Item.id)).all()  # fmt: skip
    assert set(noticed) <= {"KBN"}
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.item_id.is_(None), ~Notification.message.contains("kvalitetsberättelse")
    )) == 0  # fmt: skip


def _chapter(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    blocks = doc["blocks"]
    start = next(i for i, b in enumerate(blocks) if b["t"] == "h" and b["level"] == 1
                 and b["text"] == name)  # fmt: skip
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i]["t"] == "h"
                and blocks[i]["level"] == 1), len(blocks))  # fmt: skip
    return blocks[start:end]


def _appendix(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    blocks = doc["blocks"]
    start = next(i for i, b in enumerate(blocks) if b["t"] == "h" and b["level"] == 1
                 and b["text"].startswith("Bilaga 1"))  # fmt: skip
    at = next(i for i in range(start, len(blocks)) if blocks[i]["t"] == "h"
              and blocks[i]["level"] == 2 and blocks[i]["text"] == name)  # fmt: skip
    end = next((i for i in range(at + 1, len(blocks)) if blocks[i]["t"] == "h"
                and blocks[i]["level"] <= 2), len(blocks))  # fmt: skip
    return blocks[at:end]


def rows_of(blocks: list[dict[str, Any]], caption: str) -> dict[str, str]:
    block = next(b for b in blocks if b["t"] == "table" and b["caption"] == caption)
    return {row[0]: row[1] for row in block["rows"]}

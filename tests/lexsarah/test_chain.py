"""The whole lex Sarah chain over HTTP, as the users would click it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende, Rapportor, Spridning


def _case() -> LexSarahArende:
    return db.session.scalars(select(LexSarahArende)).one()


def test_whole_chain_over_http(org, login_as):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    med = login_as(org.med_a1)
    page = med.get("/lexsarah/ny")
    assert page.status_code == 200 and "Rapportera missförhållande" in page.text
    r = med.post(
        "/lexsarah/ny",
        {
            "unit_id": org.a1.id,
            "title": "Insats uteblev",
            "description": "Beviljad hemtjänstinsats utfördes inte under helgen.",
            "happened_at": "2026-03-01T08:00",
            "consequences": "Ingen mat under två dagar.",
            "immediate_measures": "Extra besök ordnades",
            "immediate_measures_at": "2026-03-02T09:30",
        },
    )
    assert r.status_code == 302
    case = _case()
    # The reporter is stored apart, never on the item.
    assert case.reporter_id is None
    rapportor = db.session.scalars(select(Rapportor)).one()
    assert rapportor.user_id == org.med_a1.id and rapportor.arende_id == case.id
    assert case.due_date == date(2026, 3, 4)  # one working day
    ref = case.ref
    # The reporter may not open the case.
    assert med.get(f"/lexsarah/{ref}").status_code == 404

    sas = login_as(org.sas)
    detail = sas.get(f"/lexsarah/{ref}")
    assert detail.status_code == 200 and org.med_a1.name in detail.text
    # The chef of the unit sees the case but not who reported.
    chef = login_as(org.chef_a1)
    chef_page = chef.get(f"/lexsarah/{ref}")
    assert chef_page.status_code == 200 and "Insats uteblev" in chef_page.text
    assert org.med_a1.name not in chef_page.text

    r = sas.post(
        f"/lexsarah/{ref}/bedomning",
        {
            "bedomning-assessment": "missforhallande",
            "bedomning-assessment_text": "Brister i planering och uppföljning.",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert _case().status == "utredning"
    assert _case().due_date == date(2026, 3, 23)  # 14 working days after 3 March

    # The beslut is refused while the required sections are empty.
    decision = {
        "beslut-outcome": "missforhallande",
        "beslut-allvarligt": "y",
        "beslut-decision_maker_id": org.avdchef_a.id,
        "beslut-decision_date": "2026-03-03",
        "beslut-decision_reason": "Allvarlig brist som drabbat en enskild.",
    }
    refused = sas.post(f"/lexsarah/{ref}/beslut", decision)
    assert refused.status_code == 422
    assert "Utredningen saknar uppgifter om" in refused.text
    db.session.expire_all()
    assert _case().decision_date is None and _case().status == "utredning"

    for section in REQUIRED_SECTIONS:
        r = sas.post(
            f"/lexsarah/{ref}/utredning",
            {
                "post-section": section.value,
                "post-entry_date": "2026-03-03",
                "post-source": "Samtal med personal",
                "post-karaktar": "fakta",
                "post-text": f"Uppgift: {section.label}",
            },
        )
        assert r.status_code == 302, r.text
    page = sas.get(f"/lexsarah/{ref}").text
    assert "Samtal med personal" in page and org.sas.name in page

    assert sas.post(f"/lexsarah/{ref}/beslut", decision).status_code == 302
    db.session.expire_all()
    case = _case()
    assert (
        case.status == "anmalan" and case.allvarligt and case.decision_maker_id == org.avdchef_a.id
    )

    # IVO: never e-mail.
    bad = sas.post(
        f"/lexsarah/{ref}/ivo",
        {
            "ivo-filed_date": "2026-03-03",
            "ivo-channel": "epost",
            "ivo-region": "IVO Region Öst",
        },
    )
    assert bad.status_code == 422
    r = sas.post(
        f"/lexsarah/{ref}/ivo",
        {
            "ivo-filed_date": "2026-03-03",
            "ivo-channel": "etjanst",
            "ivo-region": "IVO Region Öst",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    case = _case()
    assert case.status == "spridning"
    assert case.ivo_utredning_due == date(2026, 5, 3)  # two months after the anmälan

    r = sas.post(
        f"/lexsarah/{ref}/spridning",
        {
            "spridning-ledningsgrupp_date": "2026-03-03",
            "spridning-spread_text": "Rutin för bemanning vid helger ses över.",
            "spridning-unit_ids": [org.a1.id, org.a2.id],
        },
    )
    assert r.status_code == 302
    closing = sas.post(f"/lexsarah/{ref}/avsluta", {"avslut-closing_note": "Klart"})
    assert closing.status_code == 422 and "Väntar på bekräftelse" in closing.text

    chef_a2 = login_as(org.chef_a2)
    lessons = chef_a2.get("/lexsarah/spridning").text
    assert "Rutin för bemanning" in lessons
    assert "Beviljad hemtjänstinsats" not in lessons  # lessons only, not the case
    row_a2 = db.session.scalar(select(Spridning).where(Spridning.unit_id == org.a2.id))
    row_a1 = db.session.scalar(select(Spridning).where(Spridning.unit_id == org.a1.id))
    # A chef of another unit cannot confirm.
    assert chef_a2.post(f"/lexsarah/spridning/{row_a1.id}/bekrafta", {}).status_code == 404
    assert chef_a2.post(f"/lexsarah/spridning/{row_a2.id}/bekrafta", {}).status_code == 302
    assert chef.post(f"/lexsarah/spridning/{row_a1.id}/bekrafta", {}).status_code == 302
    assert org.chef_a2.name in sas.get(f"/lexsarah/{ref}").text

    closing = sas.post(f"/lexsarah/{ref}/avsluta", {"avslut-closing_note": "Klart"})
    assert closing.status_code == 422 and "inte skickats till IVO" in closing.text
    assert (
        sas.post(
            f"/lexsarah/{ref}/ivo/utredning-skickad", {"skickad-sent_date": "2026-03-03"}
        ).status_code
        == 302
    )
    assert sas.post(f"/lexsarah/{ref}/avsluta", {"avslut-closing_note": "Klart"}).status_code == 302
    db.session.expire_all()
    assert _case().status == "avslutad" and _case().closed_at is not None
    reads = db.session.scalars(
        select(AuditEntry).where(AuditEntry.item_id == case.id, AuditEntry.action == "read")
    ).all()
    assert {e.user_id for e in reads} >= {org.sas.id, org.chef_a1.id}


def test_bad_report_rerenders_and_saves_nothing(org, login_as):
    med = login_as(org.med_a1)
    r = med.post("/lexsarah/ny", {"unit_id": org.a1.id, "title": "", "description": "x"})
    assert r.status_code == 422 and "Skriv en kort rubrik." in r.text
    r = med.post(
        "/lexsarah/ny",
        {
            "unit_id": org.a1.id,
            "title": "Rubrik",
            "description": "Gäller 19121212-1212 igen",
        },
    )
    assert r.status_code == 422
    r = med.post(
        "/lexsarah/ny",
        {
            "unit_id": org.a1.id,
            "title": "Rubrik",
            "description": "Text",
            "immediate_measures": "Något gjordes",
        },
    )
    assert r.status_code == 422 and "när de omedelbara åtgärderna" in r.text
    assert db.session.scalar(select(Item.id).where(Item.kind == "LXS")) is None


def test_sas_creates_linked_improvement_action(org, login_as):
    from kvalitet.lexsarah import operations as ops
    from tests.lexsarah.helpers import make_case

    case = make_case(org, title="Hemlig händelse")
    ops.assess(case, org.sas, "missforhallande", "Utreds.")
    sas = login_as(org.sas)
    r = sas.post(
        f"/lexsarah/{case.ref}/atgard",
        {
            "atgard-title": "Ny rutin för nattillsyn",
            "atgard-unit_id": org.a2.id,
            "atgard-due_date": "2030-01-31",
        },
    )
    assert r.status_code == 302
    action = ops.actions_of(case, org.sas)[0]
    assert (
        action.kind == "ATG" and action.owner_id == org.chef_a2.id and action.unit_id == org.a2.id
    )
    assert "Ny rutin för nattillsyn" in sas.get(f"/lexsarah/{case.ref}").text
    # The chef owning the action sees it, but not the case behind it.
    chef = login_as(org.chef_a2)
    assert chef.get(f"/arende/{action.ref}").status_code == 302
    assert "Hemlig händelse" not in chef.get(f"/arende/{action.ref}", follow_redirects=True).text
    assert chef.get(f"/lexsarah/{case.ref}").status_code == 404
    bad = sas.post(
        f"/lexsarah/{case.ref}/atgard",
        {"atgard-title": "", "atgard-unit_id": org.a2.id, "atgard-due_date": "2030-01-31"},
    )
    assert bad.status_code == 422 and "Beskriv åtgärden." in bad.text

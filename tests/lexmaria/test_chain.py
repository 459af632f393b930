"""The lex Maria chain over HTTP, as the MAS would click it: from a health-care avvikelse
to a closed case, with need-to-know visibility and the read log at every step."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.items.models import ItemLink, LinkType
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, LexMariaArende
from tests.lexmaria.helpers import fall_avvikelse


def _case() -> LexMariaArende:
    db.session.expire_all()
    return db.session.scalars(select(LexMariaArende)).one()


def _reads(case: LexMariaArende) -> int:
    return len(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.item_id == case.id, AuditEntry.action == "read")
        ).all()
    )


def test_transfer_assess_investigate_report_inform_act_close(org, login_as):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    avvikelse = fall_avvikelse(org)
    assert avvikelse.status == "rapporterad_hsl"

    # Only the MAS is offered the transfer; the unit's chef is not.
    chef = login_as(org.chef_a1)
    assert "Överför till lex Maria" not in chef.get(f"/avvikelser/{avvikelse.ref}").text
    assert chef.post(f"/lexmaria/fran-avvikelse/{avvikelse.id}").status_code in (403, 404, 302)
    assert db.session.scalars(select(LexMariaArende)).first() is None

    mas = login_as(org.mas)
    page = mas.get(f"/avvikelser/{avvikelse.ref}")
    assert "Överför till lex Maria" in page.text
    r = mas.post(f"/lexmaria/fran-avvikelse/{avvikelse.id}")
    assert r.status_code == 302
    case = _case()
    assert r.headers["Location"].endswith(f"/lexmaria/{case.ref}")
    assert case.ref.startswith("LXM-2026-")
    assert "höften" in case.description and "akuten" in case.consequences
    link = db.session.scalars(select(ItemLink).where(ItemLink.target_id == case.id)).one()
    assert link.source_id == avvikelse.id and link.link_type == LinkType.HARLEDD
    # The avvikelse stays, and shows the case to the MAS; a second transfer is refused.
    assert "Avvikelsen är överförd till lex Maria" in mas.get(f"/avvikelser/{avvikelse.ref}").text
    mas.post(f"/lexmaria/fran-avvikelse/{avvikelse.id}")
    assert db.session.scalar(select(LexMariaArende.id).where(LexMariaArende.id != case.id)) is None

    # Need to know: the reporter, the chef and SAS get nothing, not even the title.
    for user in (org.med_a1, org.chef_a1, org.sas):
        other = login_as(user)
        response = other.get(f"/lexmaria/{case.ref}")
        assert response.status_code == 404 and "höften" not in response.text
    assert login_as(org.chef_a1).get("/lexmaria/").status_code == 403

    ref = case.ref
    before = _reads(case)
    assert mas.get(f"/lexmaria/{ref}").status_code == 200
    assert _reads(case) == before + 1  # every read is logged

    r = mas.post(
        f"/lexmaria/{ref}/bedomning",
        {
            "bedomning-assessment": "allvarlig_vardskada",
            "bedomning-assessment_text": "Fraktur efter fall där ordinerad hjälp inte gavs.",
        },
    )
    assert r.status_code == 302
    assert _case().status == "utredning"

    decision = {
        "beslut-ivo_anmalan": "ja",
        "beslut-decision_maker_id": org.avdchef_a.id,
        "beslut-decision_date": "2026-03-03",
        "beslut-decision_reason": "Allvarlig vårdskada som hade kunnat undvikas.",
    }
    refused = mas.post(f"/lexmaria/{ref}/beslut", decision)
    assert refused.status_code == 422 and "Händelseanalysen saknar uppgifter om" in refused.text
    assert _case().decision_date is None  # nothing half-saved

    bad = mas.post(
        f"/lexmaria/{ref}/utredning",
        {
            "post-section": "handelse",
            "post-entry_date": "2026-03-03",
            "post-source": "",
            "post-karaktar": "fakta",
            "post-text": "x",
        },
    )
    assert bad.status_code == 422 and "Ange källa" in bad.text
    for section in REQUIRED_SECTIONS:
        r = mas.post(
            f"/lexmaria/{ref}/utredning",
            {
                "post-section": section.value,
                "post-entry_date": "2026-03-03",
                "post-source": "Samtal med undersköterskor",
                "post-karaktar": "fakta",
                "post-text": f"{section.label}: enligt genomgången.",
            },
        )
        assert r.status_code == 302
    entries = _case().entries
    assert len(entries) == 3 and all(e.author_name == org.mas.name for e in entries)
    assert entries[0].author_title == org.mas.title and entries[0].source

    r = mas.post(f"/lexmaria/{ref}/beslut", decision)
    assert r.status_code == 302
    case = _case()
    assert case.status == "anmalan" and case.ivo_anmalan is True
    assert case.due_date == date(2026, 3, 5)  # "snarast": two working days
    # The decision maker now sees the case; the other chef still does not.
    assert login_as(org.avdchef_a).get(f"/lexmaria/{ref}").status_code == 200
    assert login_as(org.chef_a2).get(f"/lexmaria/{ref}").status_code == 404

    refused = mas.post(
        f"/lexmaria/{ref}/ivo", {"ivo-filed_date": "2026-03-04", "ivo-channel": "epost"}
    )
    assert refused.status_code == 422 and _case().ivo_filed_date is None
    clock.freeze(datetime(2026, 3, 4, 9, 0, tzinfo=STOCKHOLM))
    r = mas.post(
        f"/lexmaria/{ref}/ivo",
        {"ivo-filed_date": "2026-03-04", "ivo-channel": "etjanst", "ivo-attached": "y"},
    )
    assert r.status_code == 302
    case = _case()
    assert case.status == "atgarder" and case.ivo_filed_date == date(2026, 3, 4)

    # Closing is refused until the närstående has been informed.
    refused = mas.post(f"/lexmaria/{ref}/avsluta", {})
    assert refused.status_code == 422 and "informerades" in refused.text
    missing_how = mas.post(
        f"/lexmaria/{ref}/information",
        {
            "info-informed_date": "2026-03-04",
            "info-informed_who": "narstaende",
            "info-info_handelse": "y",
        },
    )
    assert missing_how.status_code == 422 and "Välj hur informationen gavs" in missing_how.text
    r = mas.post(
        f"/lexmaria/{ref}/information",
        {
            "info-informed_date": "2026-03-04",
            "info-informed_who": "narstaende",
            "info-informed_how": "telefon",
            "info-info_handelse": "y",
            "info-info_atgarder": "y",
            "info-info_klagomal": "y",
            "info-info_anmalan": "y",
        },
    )
    assert r.status_code == 302
    case = _case()
    assert case.informed_who == "narstaende" and case.informed_how == "telefon"
    assert case.informed_by_name == org.mas.name and case.informed_by_title == org.mas.title
    assert len(case.info_points_given) == 4

    r = mas.post(
        f"/lexmaria/{ref}/atgard",
        {
            "atgard-title": "Rutin för förflyttning med två personer ses över",
            "atgard-unit_id": org.a1.id,
            "atgard-due_date": "2026-04-30",
        },
    )
    assert r.status_code == 302
    action = db.session.scalars(select(Atgard)).one()
    assert action.owner_id == org.chef_a1.id
    assert (
        db.session.scalar(
            select(ItemLink.link_type).where(
                ItemLink.source_id == case.id, ItemLink.target_id == action.id
            )
        )
        == LinkType.ATGARD
    )
    # The chef owns the action but still cannot open the case.
    assert login_as(org.chef_a1).get(f"/lexmaria/{ref}").status_code == 404

    r = mas.post(f"/lexmaria/{ref}/avsluta", {"avslut-closing_note": "Åtgärd beslutad."})
    assert r.status_code == 302
    assert _case().status == "avslutad"

    # The MAS reviews who read the case (HSLF-FS 2016:40); others may not.
    log = mas.get("/lexmaria/lasloggen")
    assert log.status_code == 200 and ref in log.text and org.avdchef_a.name in log.text
    assert mas.get(f"/lexmaria/{ref}/lasloggen").status_code == 200
    assert login_as(org.chef_a1).get("/lexmaria/lasloggen").status_code == 403
    assert login_as(org.avdchef_a).get(f"/lexmaria/{ref}/lasloggen").status_code == 404


def test_board_shows_late_cases_first(org, login_as):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    from kvalitet.lexmaria import operations as ops

    old = ops.report(
        org.mas,
        unit=org.a1,
        title="Läkemedel gavs till fel patient",
        description="Fel dosett gavs på kvällen.",
    )
    clock.freeze(datetime(2026, 3, 20, 10, 0, tzinfo=STOCKHOLM))
    new = ops.report(
        org.mas,
        unit=org.a2,
        title="Trycksår upptäcktes sent",
        description="Trycksår grad 2 upptäcktes vid dusch.",
    )
    board = login_as(org.mas).get("/lexmaria/")
    assert board.status_code == 200
    assert board.text.index(old.ref) < board.text.index(new.ref)
    assert "Försenade: 1" in board.text
    assert login_as(org.sas).get("/lexmaria/").status_code == 403


def test_only_mas_registers_directly_and_bad_input_is_refused(org, login_as):
    assert login_as(org.med_a1).get("/lexmaria/ny").status_code == 403
    mas = login_as(org.mas)
    bad = mas.post(
        "/lexmaria/ny",
        {"unit_id": org.a1.id, "title": "Fall", "description": "Patient 19121212-1212 föll."},
    )
    assert bad.status_code == 422
    assert db.session.scalars(select(LexMariaArende)).first() is None
    ok = mas.post(
        "/lexmaria/ny",
        {
            "unit_id": org.a1.id,
            "title": "Fall i badrummet",
            "description": "Patienten föll i badrummet.",
        },
    )
    assert ok.status_code == 302
    assert _case().owner_id == org.mas.id

"""Lex Maria and the patientsäkerhetsberättelse through the API (issue 14, point 6): the MAS
takes every step of the web on the same operations; a refused step changes nothing; anyone
else gets 404 for the case (need to know), as in the web."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, LexMariaArende, PsbText
from tests.lexmaria.helpers import fall_avvikelse


def _status(ref: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(LexMariaArende.status).where(LexMariaArende.ref == ref))


def test_the_whole_lex_maria_chain(org, api_as):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    avvikelse = fall_avvikelse(org)
    db.session.commit()
    assert api_as(org.chef_a1).post(f"/api/v1/avvikelser/{avvikelse.ref}/lexmaria"
                                    ).status_code in (403, 404)  # fmt: skip
    mas = api_as(org.mas)
    moved = mas.post(f"/api/v1/avvikelser/{avvikelse.ref}/lexmaria")
    assert moved.status_code == 201, moved.get_json()
    ref = moved.get_json()["ref"]
    assert ref.startswith("LXM-2026-")
    again = mas.post(f"/api/v1/avvikelser/{avvikelse.ref}/lexmaria")
    assert again.status_code == 422
    assert db.session.scalar(select(func.count(LexMariaArende.id))) == 1

    # Need to know: the chef, SAS and the reporter get 404 for every step.
    for user in (org.chef_a1, org.sas, org.med_a1):
        other = api_as(user)
        refused = other.post(
            f"/api/v1/lexmaria/{ref}/bedomning",
            json={"assessment": "ingen", "assessment_text": "x"},
        )
        assert refused.status_code == 404 and "höften" not in refused.get_data(as_text=True)

    assessed = mas.post(
        f"/api/v1/lexmaria/{ref}/bedomning",
        json={
            "assessment": "allvarlig_vardskada",
            "assessment_text": "Fraktur efter fall där ordinerad hjälp inte gavs.",
        },
    )
    assert assessed.status_code == 200, assessed.get_json()
    assert assessed.get_json()["status"] == "utredning"

    decision = {
        "ivo_anmalan": True,
        "decision_maker_id": org.avdchef_a.id,
        "decision_date": "2026-03-03",
        "reason": "Allvarlig vårdskada.",
    }
    early = mas.post(f"/api/v1/lexmaria/{ref}/beslut", json=decision)
    assert early.status_code == 409 and _status(ref) == "utredning"  # the workflow's guard
    for section in REQUIRED_SECTIONS:
        posted = mas.post(
            f"/api/v1/lexmaria/{ref}/utredning",
            json={
                "section": str(section),
                "entry_date": "2026-03-03",
                "karaktar": "fakta",
                "source": "Samtal med undersköterskor",
                "text": f"{section.label}: genomgånget.",
            },
        )
        assert posted.status_code == 201, posted.get_json()
    decided = mas.post(f"/api/v1/lexmaria/{ref}/beslut", json=decision)
    assert decided.status_code == 200, decided.get_json()

    filed = mas.post(
        f"/api/v1/lexmaria/{ref}/ivo",
        json={"filed_date": "2026-03-03", "channel": "etjanst", "attached": False},
    )
    assert filed.status_code == 200, filed.get_json()
    twice = mas.post(
        f"/api/v1/lexmaria/{ref}/ivo", json={"filed_date": "2026-03-03", "channel": "etjanst"}
    )
    assert twice.status_code in (409, 422)

    missing_how = mas.post(
        f"/api/v1/lexmaria/{ref}/information",
        json={"informed_date": "2026-03-03", "who": "narstaende", "points": ["info_handelse"]},
    )
    assert missing_how.status_code == 422
    informed = mas.post(
        f"/api/v1/lexmaria/{ref}/information",
        json={
            "informed_date": "2026-03-03",
            "who": "narstaende",
            "how": "telefon",
            "points": ["info_handelse", "info_atgarder", "info_klagomal", "info_anmalan"],
        },
    )
    assert informed.status_code == 200, informed.get_json()

    atgard = mas.post(
        f"/api/v1/lexmaria/{ref}/atgard",
        json={
            "title": "Rutin för förflyttning ses över",
            "unit_id": org.a1.id,
            "due_date": "2026-04-30",
        },
    )
    assert atgard.status_code == 201 and atgard.get_json()["kind"] == "ATG"

    sent = mas.post(
        f"/api/v1/lexmaria/{ref}/ivo-utredning-skickad", json={"sent_date": "2026-03-03"}
    )
    assert sent.status_code == 200, sent.get_json()
    closed = mas.post(f"/api/v1/lexmaria/{ref}/avsluta", json={"note": "Åtgärd beslutad."})
    assert closed.status_code == 200, closed.get_json()
    assert _status(ref) == "avslutad"


def test_register_a_handelse_directly(org, api_as):
    mas = api_as(org.mas)
    body = {
        "unit_id": org.a1.id,
        "title": "Fel läkemedel gavs",
        "description": "Patienten fick grannens kvällsdos.",
    }
    assert api_as(org.chef_a1).post("/api/v1/lexmaria", json=body).status_code == 403
    empty = mas.post("/api/v1/lexmaria", json={**body, "description": ""})
    assert empty.status_code == 422 and "description" in empty.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(LexMariaArende.id))) == 0
    made = mas.post("/api/v1/lexmaria", json=body)
    assert made.status_code == 201, made.get_json()


def test_patientsakerhetsberattelse(org, api_as):
    mas = api_as(org.mas)
    year = clock.today().year - 1
    assert (
        api_as(org.chef_a1)
        .post("/api/v1/patientsakerhetsberattelser", json={"unit_id": org.forv.id, "year": year})
        .status_code
        == 403
    )
    wrong = mas.post(
        "/api/v1/patientsakerhetsberattelser", json={"unit_id": org.a1.id, "year": year}
    )
    assert wrong.status_code == 422 and "unit_id" in wrong.get_json()["error"]["fields"]
    future = mas.post(
        "/api/v1/patientsakerhetsberattelser", json={"unit_id": org.forv.id, "year": year + 5}
    )
    assert future.status_code == 422 and "year" in future.get_json()["error"]["fields"]
    started = mas.post(
        "/api/v1/patientsakerhetsberattelser", json={"unit_id": org.forv.id, "year": year}
    )
    assert started.status_code == 201, started.get_json()
    psb = started.get_json()
    assert psb["texts"]
    mine = next(t for t in psb["texts"]
                if db.session.scalar(select(PsbText.owner_id).where(PsbText.ref == t["ref"]))
                == org.mas.id)  # fmt: skip
    written = mas.post(f"/api/v1/psb/{mine['ref']}/text", json={"text": "Året i korthet."})
    assert written.status_code == 200, written.get_json()
    pnr = mas.post(f"/api/v1/psb/{mine['ref']}/text", json={"text": "Om 19121212-1212"})
    assert pnr.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(PsbText.text).where(PsbText.ref == mine["ref"])) \
        == "Året i korthet."  # fmt: skip

    audits = db.session.scalar(select(func.count(AuditEntry.id)))
    frozen = mas.post(
        f"/api/v1/patientsakerhetsberattelser/{psb['id']}/frys", json={"comment": "Till nämnden"}
    )
    assert frozen.status_code == 201, frozen.get_json()
    assert frozen.get_json()["number"] == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) > audits
    other = api_as(org.chef_b1)
    assert (
        other.post(f"/api/v1/patientsakerhetsberattelser/{psb['id']}/frys", json={}).status_code
        == 404
    )
    assert other.post(f"/api/v1/psb/{mine['ref']}/text", json={"text": "x"}).status_code == 404

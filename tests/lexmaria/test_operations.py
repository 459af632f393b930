"""Lex Maria operations one by one: provenance of an entry, the "snarast" targets, the
channel to IVO, the path of a händelse that is not a lex Maria case."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.items.provenance import entry_fields
from kvalitet.lexmaria import deadlines
from kvalitet.lexmaria import operations as ops
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, Sektion


def _case(org):  # type: ignore[no-untyped-def]
    return ops.report(
        org.mas, unit=org.a1, title="Fall i hemsjukvården", description="Patienten föll i hallen."
    )


def _investigate(case, org):  # type: ignore[no-untyped-def]
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


def test_an_entry_records_date_source_fact_or_assessment_and_author(org):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    values = entry_fields(
        org.mas,
        section="orsaker",
        sections=set(Sektion),
        entry_date=date(2026, 3, 2),
        source=" Samtal med personal ",
        karaktar="bedomning",
        text="Underbemanning.",
    )
    assert values["source"] == "Samtal med personal" and values["karaktar"] == "bedomning"
    assert values["author_name"] == org.mas.name and values["author_title"] == org.mas.title
    for bad, field in (
        ({"source": ""}, "source"),
        ({"karaktar": "gissning"}, "karaktar"),
        ({"entry_date": date(2026, 3, 4)}, "entry_date"),
        ({"entry_date": None}, "entry_date"),
        ({"section": "x"}, "section"),
        ({"text": "Patient 19121212-1212"}, "text"),
    ):
        args = {
            "section": "orsaker",
            "sections": set(Sektion),
            "entry_date": date(2026, 3, 2),
            "source": "Journal",
            "karaktar": "fakta",
            "text": "Uppgift.",
            **bad,
        }
        with pytest.raises(OperationError) as err:
            entry_fields(org.mas, **args)
        assert err.value.field == field
    # Only the MAS writes the händelseanalys; a chef who may not see the case gets 404.
    case = _case(org)
    ops.assess(case, org.mas, "osakert", "Utreds.")
    with pytest.raises(NotFound):
        ops.add_entry(
            case,
            org.avdchef_a,
            section="handelse",
            entry_date=clock.today(),
            source="x",
            karaktar="fakta",
            text="y",
        )


def test_anmalan_and_information_snarast_are_tracked(org):
    clock.freeze(datetime(2026, 3, 2, 10, 0, tzinfo=STOCKHOLM))  # a Monday
    case = _case(org)
    assert case.due_date == date(2026, 3, 4)  # the MAS's assessment: two working days
    ops.assess(case, org.mas, "risk_allvarlig", "Hade kunnat leda till fraktur.")
    assert case.is_lex_maria
    assert deadlines.information_due(case) == date(2026, 3, 9)  # five working days
    _investigate(case, org)
    ops.decide(
        case,
        org.mas,
        ivo_anmalan=True,
        decision_maker_id=org.mas.id,
        decision_date=date(2026, 3, 2),
        reason="Risk för allvarlig vårdskada.",
    )
    assert case.status == "anmalan" and case.due_date == date(2026, 3, 4)
    assert not deadlines.is_late(case, date(2026, 3, 4))
    assert deadlines.is_late(case, date(2026, 3, 5))
    with pytest.raises(OperationError) as err:
        ops.file_ivo(case, org.mas, filed_date=date(2026, 3, 2), channel="epost", attached=False)
    assert "aldrig skickas med e-post" in err.value.message
    ops.file_ivo(case, org.mas, filed_date=date(2026, 3, 2), channel="post", attached=False)
    assert case.ivo_utredning_due == date(2026, 5, 2)  # the investigation follows
    assert deadlines.information_late(case, date(2026, 3, 10))
    ops.record_information(
        case,
        org.mas,
        informed_date=date(2026, 3, 2),
        who="patient",
        how="samtal",
        points={"info_handelse": True},
    )
    assert deadlines.information_due(case) is None
    # Closing: the patient must also learn that the event was reported, and the
    # investigation must have reached IVO.
    with pytest.raises(OperationError) as err:
        ops.close(case, org.mas, "")
    assert "anmälts till IVO" in err.value.message and "inte skickats" in err.value.message
    ops.record_information(
        case,
        org.mas,
        informed_date=date(2026, 3, 2),
        who="patient",
        how="samtal",
        points={"info_handelse": True, "info_anmalan": True},
    )
    ops.investigation_sent(case, org.mas, date(2026, 3, 2))
    ops.close(case, org.mas, "")
    assert case.status == "avslutad"


def test_a_handelse_without_vardskada_closes_without_anmalan(org):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    case = _case(org)
    ops.assess(case, org.mas, "ingen", "Patienten reste sig själv, ingen skada.")
    assert not case.is_lex_maria and deadlines.information_due(case) is None
    with pytest.raises(OperationError):
        ops.record_information(
            case,
            org.mas,
            informed_date=date(2026, 3, 3),
            who="patient",
            how="samtal",
            points={"info_anmalan": True},
        )
    _investigate(case, org)
    ops.decide(
        case,
        org.mas,
        ivo_anmalan=False,
        decision_maker_id=org.mas.id,
        decision_date=date(2026, 3, 3),
        reason="Ingen vårdskada.",
    )
    assert case.status == "atgarder"
    ops.close(case, org.mas, "Inget att anmäla.")
    assert case.status == "avslutad" and case.ivo_filed_date is None

"""SAS's lex Sarah steps through the API, as history on their own dates: the figures of
that quality year count them, this year's do not, and nothing lands in anyone's inbox."""

from __future__ import annotations

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.periods import quality_year
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.queries import inbox_counts
from kvalitet.lexsarah import stats
from kvalitet.lexsarah.models import LexSarahArende, Sektion
from kvalitet.notify.models import Notification
from kvalitet.org.operations import grant_role


def _steps(api, ref: str, when: str, step: str, body: dict) -> dict:
    response = api.post(f"/api/v1/lexsarah/{ref}/{step}?occurred_at={when}", json=body)
    assert response.status_code in (200, 201), (step, response.get_json())
    return response.get_json()


def test_a_past_case_to_beslut_and_ivo_counts_in_its_year(org, api_as):
    grant_role(None, org.kvalitet, Role.SAS, org.forv)  # the migrating account also acts as SAS
    db.session.commit()
    api = api_as(org.kvalitet)
    reported = api.post("/api/v1/lexsarah?occurred_at=2021-10-04&source=Akt 2021", json={
        "unit_id": org.a1.id, "title": "Brukare fick fel läkemedel",
        "description": "Vid kvällsbesöket gavs en annan brukares läkemedel.",
        "happened_at": "2021-10-03T19:30:00+02:00", "noticed_at": "2021-10-03T20:00:00+02:00",
    })  # fmt: skip
    assert reported.status_code == 201, reported.get_json()
    ref = reported.get_json()["ref"]
    assert ref == "LXS-2021-0001"
    _steps(
        api,
        ref,
        "2021-10-05",
        "bedomning",
        {"assessment": "missforhallande", "text": "Risk för allvarlig skada."},
    )
    for section in Sektion:  # the utredning's entries, one per section SOSFS 2011:5 asks for
        _steps(api, ref, "2021-10-12", "utredning", {
            "section": str(section), "entry_date": "2021-10-12", "source": "Samtal med personal",
            "karaktar": "fakta", "text": f"Uppgift om {section.label.lower()}."})  # fmt: skip
    _steps(api, ref, "2021-11-02", "beslut", {
        "outcome": "missforhallande", "allvarligt": True,
        "decision_maker_id": org.sas.id, "decision_date": "2021-11-02",
        "reason": "Påtaglig risk för allvarlig skada."})  # fmt: skip
    _steps(
        api,
        ref,
        "2021-11-04",
        "ivo",
        {"filed_date": "2021-11-04", "channel": "etjanst", "region": "Mitt", "attached": True},
    )
    open_case = inbox_counts(org.sas)
    _steps(api, ref, "2021-11-20", "spridning", {
        "unit_ids": [], "spread_text": "Läkemedel förvaras per brukare.",
        "ledningsgrupp_date": "2021-11-18"})  # fmt: skip
    closed = _steps(api, ref, "2021-12-01", "avsluta", {"note": "Klart."})
    assert closed["status"] == "avslutad", closed["status"]
    case = db.session.scalar(select(LexSarahArende).where(LexSarahArende.ref == ref))
    assert clock.to_local(case.reported_at).date().isoformat() == "2021-10-04"
    assert clock.to_local(case.assessed_at).date().isoformat() == "2021-10-05"
    then = stats.statistics(org.forv, quality_year(2021))
    now = stats.statistics(org.forv, quality_year(2026))
    keys = ("rapporter", "utredningar", "beslut", "anmalda_ivo")
    assert [then[k] for k in keys] == [1, 1, 1, 1], then
    assert [now[k] for k in keys] == [0, 0, 0, 0], now
    assert db.session.scalar(select(Notification.id).limit(1)) is None
    assert open_case["alla"] == 1  # an open case is work, also when it began in the past
    assert inbox_counts(org.sas)["alla"] == 0  # brought to its end it is history, not work
    assert inbox_counts(org.chef_a2)["alla"] == 0
    assert clock.to_local(case.closed_at).date().isoformat() == "2021-12-01"

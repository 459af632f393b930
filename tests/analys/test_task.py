"""Analysis as work: the årshjul's quarterly analysis makes an analysis task for each enhet;
the person records conclusions and decides åtgärder in one step; done, the signals are frozen
and the årshjul task is genomförd; the conclusions reach the kvalitetsberättelse; the API
serves the same."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kvalitet.analys import operations as ops
from kvalitet.analys.models import Analys
from kvalitet.arshjul.models import ArshjulUppgift, ArsStatus
from kvalitet.arshjul.operations import create_activity, generate_occurrences, make_rule
from kvalitet.arshjul.reference import TYPICAL_YEAR
from kvalitet.atgarder.models import Atgard
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import Role
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import ItemLink
from kvalitet.org.models import UnitKind
from kvalitet.rapport import operations as rapport_ops
from kvalitet.rapport.document import compile_document
from tests.analys.helpers import monthly_avvikelser
from tests.api.conftest import ApiClient

QUARTERLY = TYPICAL_YEAR[1][0]  # "Sammanställning och analys av avvikelser (APT)"


def quarter_tasks(org):
    """The typical year's quarterly analysis for every enhet, marked as an analysis."""
    clock.freeze(clock.local_midnight_utc(date(2026, 2, 20)))
    akt = create_activity(
        org.kvalitet, title=QUARTERLY, description="Sammanställ och analysera.",
        rule=make_rule("quarterly", date(2025, 12, 1), month=3, day=15),
        responsible_role=Role.ENHETSCHEF, scope_kind=UnitKind.ENHET, units=[org.forv],
        lead_days=30,
    )  # fmt: skip
    assert ops.mark_typical_year() == 1
    generate_occurrences()
    return akt


def analysis_of(org, unit):
    return db.session.scalar(select(Analys).where(Analys.unit_id == unit.id))


def test_the_quarterly_analysis_task_carries_its_period_and_is_linked(app, org):
    quarter_tasks(org)
    analys = analysis_of(org, org.a1)
    assert analys is not None
    task = db.session.get(ArshjulUppgift, analys.task_id)
    assert task.planned_date == date(2026, 3, 15)
    # The quarter before the task: December–February.
    assert (analys.period_start, analys.period_end) == (date(2025, 12, 1), date(2026, 2, 28))
    assert analys.owner_id == org.chef_a1.id
    assert analys.due_date == task.due_date
    assert db.session.scalar(
        select(ItemLink).where(ItemLink.source_id == task.id, ItemLink.target_id == analys.id)
    )
    # Once per task: running the årshjul again makes nothing new.
    generate_occurrences()
    assert len(db.session.scalars(select(Analys).where(Analys.unit_id == org.a1.id)).all()) == 1


def test_conclusion_with_atgard_in_one_step_and_done_freezes(app, org):
    quarter_tasks(org)
    monthly_avvikelser(org.med_a1, org.a1, date(2025, 12, 1), [2, 3, 2])
    analys = analysis_of(org, org.a1)
    try:
        ops.add_conclusion(org.chef_a1, analys, "  ")
    except OperationError as error:
        assert error.field == "text"
    else:
        raise AssertionError("an empty conclusion was saved")
    # Marking it done without a conclusion is refused by the workflow.
    try:
        run_transition(analys, "klar", org.chef_a1)
    except OperationError as error:
        assert "minst en slutsats" in error.message
    row = ops.add_conclusion(
        org.chef_a1, analys, "Dokumentationen brister efter hembesök.",
        atgard={"title": "Rutin för dokumentation efter hembesök", "owner": org.chef_a1.id,
                "due_date": date(2026, 6, 30)},
    )  # fmt: skip
    atgard = db.session.get(Atgard, row.atgard_id)
    assert atgard.title == "Rutin för dokumentation efter hembesök"
    assert atgard.unit_id == org.a1.id
    assert db.session.scalar(
        select(ItemLink).where(ItemLink.source_id == analys.id, ItemLink.target_id == atgard.id)
    )
    run_transition(analys, "klar", org.chef_a1)
    assert analys.underlag.content["signals"]["kinds"]["AVV"]["now"]["total"] == 7
    assert analys.completed_at is not None
    task = db.session.get(ArshjulUppgift, analys.task_id)
    assert task.status == ArsStatus.GENOMFORD
    # A user of another unit gets nothing, not even the title.
    assert ops.may_start(org.chef_b1, org.a1) is False


def test_conclusions_reach_the_kvalitetsberattelse(app, org):
    quarter_tasks(org)
    analys = analysis_of(org, org.a1)
    ops.add_conclusion(org.chef_a1, analys, "Beslut kommuniceras för sent till familjerna.")
    report = rapport_ops.start_report(org.kvalitet, org.forv, 2025)
    document = compile_document(report)
    texts = [b.get("text", "") for b in document["blocks"]] + [
        item for b in document["blocks"] for item in b.get("items", [])
    ]
    headings = [b.get("text") for b in document["blocks"] if b.get("t") == "h"]
    assert "Samlad analys" in headings
    assert "Slutsatser från årets sammanställningar och analyser" in headings
    assert any("Beslut kommuniceras för sent till familjerna." in t for t in texts)


def test_conclusions_reach_the_goal_follow_up_report(app, org):
    from kvalitet.mal import report as mal_report
    from tests.mal.helpers import plan_with_goal

    quarter_tasks(org)
    analys = analysis_of(org, org.a1)  # December–February
    ops.add_conclusion(org.chef_a1, analys, "Beslut kommuniceras för sent till familjerna.")
    plan = plan_with_goal(org)["plan"]
    document = mal_report.compile_report(plan, mal_report.report_period(plan, "T1"))
    headings = [b.get("text") for b in document["blocks"] if b.get("t") == "h"]
    items = [item for b in document["blocks"] for item in b.get("items", [])]
    assert "Samlad analys" in headings
    assert any("Beslut kommuniceras för sent till familjerna." in i for i in items)
    # A period the analysis does not touch gets no conclusion.
    later = mal_report.compile_report(plan, mal_report.report_period(plan, "T3"))
    later_items = [item for b in later["blocks"] for item in b.get("items", [])]
    assert not any("Beslut kommuniceras för sent" in i for i in later_items)


def test_the_api_serves_the_overview_and_takes_a_conclusion(app, org):
    from kvalitet.api.tokens import create_token

    quarter_tasks(org)
    analys = analysis_of(org, org.a1)
    _row, token = create_token(org.chef_a1, org.chef_a1, name="t")
    api = ApiClient(app, token)
    paths = ApiClient(app, None).get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/analys/oversikt", "/api/v1/analys/flaggor", "/api/v1/analys/monster",
                 "/api/v1/analys/{ref}/slutsatser", "/api/v1/analys/{ref}"):  # fmt: skip
        assert path in paths, path
    response = api.get(f"/api/v1/analys/oversikt?unit={org.a1.id}&from=2025-12-01&to=2026-02-28")
    assert response.status_code == 200, response.get_json()
    assert "AVV" in response.get_json()["signals"]["kinds"]
    assert api.get(f"/api/v1/analys/oversikt?unit={org.b1.id}").status_code == 403
    made = api.post(f"/api/v1/analys/{analys.ref}/slutsatser", json={
        "text": "Samma brist som förra kvartalet.",
        "atgard": {"title": "Utbildning i dokumentation", "due_date": "2026-05-31"}})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["atgard"].startswith("ATG-")
    assert api.post(f"/api/v1/analys/{analys.ref}/slutsatser", json={"text": ""}).status_code == 422
    other = ApiClient(app, create_token(org.chef_b1, org.chef_b1, name="u")[1])
    assert other.get(f"/api/v1/analys/{analys.ref}").status_code == 404


def test_a_frozen_analysis_is_read_within_the_readers_rights(app, org, login_as):
    from kvalitet.analys.compile import as_seen_by
    from tests.analys.test_signals import _seed_pattern

    lxs = _seed_pattern(org)  # documentation in avvikelser, a klagomål and lex Sarah at A1
    analys = ops.start_analysis(org.avdchef_a, org.a1, date(2026, 1, 1), date(2026, 3, 31))
    ops.add_conclusion(org.avdchef_a, analys, "Dokumentationen brister.")
    run_transition(analys, "klar", org.avdchef_a)
    kept = analys.underlag.content
    # The avdelningschef (lex Sarah statistics, no need-to-know) saw the case counted only.
    assert "LXS" in kept["signals"]["kinds"]
    # The enhetschef has no lex Sarah statistics: the section is left out of what they read.
    chef = as_seen_by(kept, org.chef_a1, org.a1)
    assert "LXS" not in chef["signals"]["kinds"]
    page = login_as(org.chef_a1).get(f"/analys/{analys.ref}").get_data(as_text=True)
    assert "Underlaget som det såg ut" in page
    assert 'id="sig-LXS"' not in page
    # A reader who may not open the case never gets its ref from the snapshot.
    ku = as_seen_by(kept, org.kvalitet, org.a1)
    doc = next(p for p in ku["patterns"] if p["topic"] == "Dokumentation")
    assert lxs.ref not in {i["ref"] for i in doc["items"]}
    assert doc["hidden"] == {"LXS": 1}
    # The generic API lists the item's own columns: the snapshot is not among them.
    from kvalitet.api.tokens import create_token

    api = ApiClient(app, create_token(org.kvalitet, org.kvalitet, name="k")[1])
    body = api.get(f"/api/v1/analys/{analys.ref}").get_json()
    assert "content" not in body["fields"] and lxs.ref not in str(body)

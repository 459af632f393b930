from __future__ import annotations

from datetime import datetime

from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.models import Kon
from kvalitet.avvikelser.stats import statistics
from kvalitet.core import clock
from kvalitet.core.periods import quality_year
from kvalitet.core.permissions import suppress_small
from kvalitet.items.operations import cancel_item
from tests.avvikelser.helpers import category, report


def _at(text: str) -> None:
    clock.freeze(datetime.fromisoformat(text))


def _close(actor, item) -> None:  # type: ignore[no-untyped-def]
    ops.analyse_avvikelse(actor, item, analysis="Orsak utredd.", causes=["kommunikation"])
    ops.close_avvikelse(actor, item)


def dataset(org):  # type: ignore[no-untyped-def]
    dok, bem = category("Dokumentation").id, category("Bemötande").id
    # Previous quality year 2024/25.
    _at("2024-11-01T10:00")
    for _ in range(3):
        report(org.chef_b1, unit=org.b1, category_id=dok)
    report(org.med_a1, category_id=bem)
    # Quality year 2025/26.
    _at("2025-10-01T10:00")
    first = report(org.med_a1, category_id=dok, sex=Kon.KVINNA, age_group="13-17")
    report(org.med_a1, category_id=dok, sex=Kon.KVINNA)
    report(org.med_a2, category_id=bem, health_care=True)
    cancelled = report(org.med_a1, category_id=bem)
    cancel_item(cancelled, org.chef_a1, "Dubbelregistrerad")
    _at("2025-10-11T10:00")
    _close(org.chef_a1, first)  # 10 days
    _at("2026-03-01T10:00")
    second = report(org.med_a1, category_id=dok)
    _at("2026-03-05T10:00")
    _close(org.chef_a1, second)  # 4 days
    # Outside both years.
    _at("2026-09-02T10:00")
    report(org.med_a1, category_id=dok)


def test_statistics_on_known_dataset(org):  # type: ignore[no-untyped-def]
    dataset(org)
    year = quality_year(2025)
    now = statistics(org.forv, year)
    before = statistics(org.forv, year.previous_year())
    assert now["period"] == "2025/26" and before["period"] == "2024/25"
    assert now["total"] == 4
    assert now["by_category"]["Dokumentation"] == 3
    assert now["by_category"]["Bemötande"] == 1
    assert now["by_category"]["Fall"] == 0
    assert now["by_unit"]["Enhet A1"] == 3 and now["by_unit"]["Enhet A2"] == 1
    assert now["by_unit"]["Enhet B1"] == 0
    assert now["by_status"]["Avslutad"] == 2 and now["by_status"]["Rapporterad"] == 2
    assert now["by_cause"]["Kommunikation"] == 2
    assert now["closed"] == 2 and now["median_days_to_close"] == 7.0
    assert now["health_care"] == 1
    assert now["by_sex"]["Flicka/kvinna"] == 2
    assert now["by_age"]["13–17 år"] == 1
    assert now["threshold"] == 2
    assert now["underreporting"] == ["Enhet A2", "Enhet B1"]
    assert before["total"] == 4
    assert before["by_category"]["Dokumentation"] == 3 and before["by_unit"]["Enhet B1"] == 3
    assert before["underreporting"] == ["Enhet A1", "Enhet A2"]
    assert before["median_days_to_close"] is None
    avd_a = statistics(org.avd_a, year)
    assert avd_a["total"] == 4 and "Enhet B1" not in avd_a["by_unit"]
    assert statistics(org.avd_a, year.previous_year())["total"] == 1
    assert suppress_small({"by": {"a": 2, "b": 0, "c": 7}}) == {"by": {"a": "<5", "b": 0, "c": 7}}
    assert suppress_small({"total": 2}) == {"total": 2}  # totals identify no one


def test_threshold_is_configurable(app, org):  # type: ignore[no-untyped-def]
    dataset(org)
    app.config["AVVIKELSE_UNDERREPORTING_THRESHOLD"] = 4
    assert statistics(org.forv, quality_year(2025))["underreporting"] == [
        "Enhet A1", "Enhet A2", "Enhet B1"]  # fmt: skip


def test_statistics_page(org, login_as):  # type: ignore[no-untyped-def]
    dataset(org)
    _at("2026-05-01T10:00")
    kv = login_as(org.kvalitet)
    body = kv.get(f"/avvikelser/statistik?enhet={org.forv.id}&ar=2025/26").get_data(as_text=True)
    assert "<svg" in body and "Möjlig underrapportering" in body
    assert 'data-testid="total">4<' in body
    reader = login_as(org.lasare)
    body = reader.get(f"/avvikelser/statistik?enhet={org.forv.id}&ar=2025/26").get_data(
        as_text=True
    )
    assert "&lt;5" in body  # small sex/age groups suppressed for read-only users
    assert login_as(org.med_a1).get("/avvikelser/statistik").status_code == 403


def test_statistics_page_custom_period(org, login_as):  # type: ignore[no-untyped-def]
    dataset(org)
    kv = login_as(org.kvalitet)
    body = kv.get(
        f"/avvikelser/statistik?enhet={org.forv.id}&fran=2025-10-01&till=2025-10-31"
    ).get_data(as_text=True)
    assert 'data-testid="total">3<' in body  # three reported in October 2025 (one cancelled)
    assert "2025-10-01 – 2025-10-31" in body


def test_statistics_page_only_for_own_subtree(org, login_as):  # type: ignore[no-untyped-def]
    dataset(org)
    chef_b = login_as(org.chef_b1)
    body = chef_b.get(f"/avvikelser/statistik?enhet={org.forv.id}&ar=2024/25").get_data(
        as_text=True
    )
    assert "Enhet B1, 2024-09-01" in body  # falls back to the chef's own unit
    assert 'data-testid="total">3<' in body
    assert "Enhet A1" not in body

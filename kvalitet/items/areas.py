"""Statistics per kvalitetsområde (DOMAIN.md §4): how many of a kind's items in a unit
subtree and period are tagged with each area, in one grouped SQL query. An item counts
under each of its areas; items with none are counted as "Utan kvalitetsområde".

The caller decides who may see the figures (`kvalitet.core.permissions.statistics_detail`
for the kind and the root) and applies the small-group rule (`shown_statistics`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from kvalitet.core import aggregates, summary
from kvalitet.core.periods import Period
from kvalitet.core.permissions import Detail, shown_statistics
from kvalitet.extensions import db, reads_replica
from kvalitet.items.models import Item, QualityArea, item_quality_area
from kvalitet.org.models import Unit

WITHOUT_AREA = "Utan kvalitetsområde"


def summary_kind(kind: str) -> str:
    """The statistics summary's kind code of `kind`'s counts per area ("AVV/KO")."""
    return f"{kind}/KO"


def summary_spec(kind: str, model: type[Item]) -> summary.SummarySpec:
    """The summary of `kind`'s items per unit, created month and area ("area:<id>",
    "area:" for none); a kind's stats module registers it."""
    link = item_quality_area.c

    def count(
        periods: Sequence[Period], unit_ids: Sequence[int] | None
    ) -> dict[tuple[int, int], summary.Tally]:
        bucket = aggregates.period_index(Item.created_at, periods)
        where = [
            Item.kind == kind,
            aggregates.in_periods(Item.created_at, periods),
            Item.cancelled_at.is_(None),
        ]
        if unit_ids is not None:
            where.append(Item.unit_id.in_(list(unit_ids)))
        out: dict[tuple[int, int], summary.Tally] = {}
        for unit_id, area_id, index, n in db.session.execute(
            select(Item.unit_id, link.quality_area_id, bucket, func.count())
            .select_from(Item)
            .outerjoin(item_quality_area, link.item_id == Item.id)
            .where(*where)
            .group_by(Item.unit_id, link.quality_area_id, bucket)
        ):
            if index is None:
                continue
            tally = out.setdefault((int(unit_id), int(index)), summary.Tally({"total": 0}))
            tally.counts["total"] += int(n)
            tally.counts[f"area:{'' if area_id is None else area_id}"] = int(n)
        return out

    return summary.SummarySpec(
        kind=summary_kind(kind), model=model, period="created_at", utc=True, count=count,
        children={item_quality_area.name: "item_id"},
    )  # fmt: skip


@reads_replica
def by_quality_area(
    kind: str, root: aggregates.Subtree, periods: Sequence[Period]
) -> list[dict[str, int]]:
    """For each period: {area name: count} of `kind`'s items reported (created) in the
    period at root's subtree, cancelled ones excluded. Every active area is listed (0
    included), in the list's order; a deactivated one only when it has items. From the
    statistics summary when the periods are whole months, else one grouped query."""
    areas = db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order)).all()
    counts: list[dict[int | None, int]] = [{} for _ in periods]
    subtree = select(Unit.id).where(aggregates.in_subtrees(Unit.path, [root]))
    tallies = summary.read(summary_kind(kind), periods, subtree) if periods else None
    if tallies is not None:
        for (_unit_id, index), tally in tallies.items():
            for key, n in tally.counts.items():
                if key.startswith("area:") and n:
                    area_id = int(key[5:]) if key[5:] else None
                    counts[index][area_id] = counts[index].get(area_id, 0) + int(n)
    elif periods:
        link = item_quality_area.c
        bucket = aggregates.period_index(Item.created_at, periods)
        in_tree = Item.unit_id.in_(subtree)
        rows = db.session.execute(
            select(link.quality_area_id, bucket, func.count())
            .select_from(Item)
            .outerjoin(item_quality_area, link.item_id == Item.id)
            .where(
                Item.kind == kind,
                aggregates.in_periods(Item.created_at, periods),
                Item.cancelled_at.is_(None),
                in_tree,
            )
            .group_by(link.quality_area_id, bucket)
        ).all()
        for area_id, index, count in rows:
            if index is not None:
                counts[int(index)][area_id] = int(count)
    out = []
    for found in counts:
        shown = {
            a.name: found.get(a.id, 0)
            for a in areas
            if a.active or any(c.get(a.id) for c in counts)
        }
        shown[WITHOUT_AREA] = found.get(None, 0)
        out.append(shown)
    return out


def area_table(
    kind: str, root: aggregates.Subtree, period: Period, detail: Detail
) -> dict[str, Any]:
    """The "Per kvalitetsområde" table of a statistics page (templates/items/_areas_stats.html):
    the period and the year before, as the user may see them at `detail`."""
    periods = [period, period.previous_year()]
    if aggregates.overlapping(periods):  # a custom period longer than a year
        figures = [by_quality_area(kind, root, [p])[0] for p in periods]
    else:
        figures = by_quality_area(kind, root, periods)
    shown = shown_statistics(detail, {"now": figures[0], "before": figures[1]})
    return {"labels": [p.label for p in periods], **shown}

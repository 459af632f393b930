from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from kvalitet.avvikelser import operations as avv_ops
from kvalitet.avvikelser.models import CATEGORY_LIST, Avvikelse
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry


def category(label: str = "Fall") -> ListEntry:
    return db.session.scalars(
        select(ListEntry).where(ListEntry.list_key == CATEGORY_LIST, ListEntry.label == label)
    ).one()


def fall_avvikelse(org: Any, unit: Any = None, **kw: Any) -> Avvikelse:
    """A fall in hemsjukvården, reported by a medarbetare as a health-care avvikelse."""
    fields: dict[str, Any] = {
        "unit": unit or org.a1,
        "category_id": category().id,
        "title": "Fall vid förflyttning",
        "description": "Patienten föll vid förflyttning från säng till rullstol och slog i "
        "höften. Två personer skulle ha hjälpt till enligt ordinationen.",
        "event_at": clock.now() - timedelta(hours=3),
        "consequence_actual": "Misstänkt höftfraktur, patienten fördes till akuten.",
        "immediate_action": "Sjuksköterska tillkallades och ambulans beställdes.",
        "health_care": True,
    }
    fields.update(kw)
    return avv_ops.report_avvikelse(org.med_a1, **fields)

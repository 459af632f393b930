"""Form fields every kind's forms share."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget, Select

from kvalitet.core.memo import remember, remembered
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea, item_quality_area


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (keyboard and screen-reader friendly)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuickSelect(Select):
    """wtforms' Select, with the same HTML, but each plain option written by one f-string
    instead of wtforms' general attribute writer: a case page's people pickers (hundreds of
    people each) spent most of the page's time there."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        value, label = escape(choice.value), escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{value}">{label}</option>')  # noqa: S704 (escaped)


class PickerField(SelectField):
    """A select of people or units (long lists), drawn by QuickSelect."""

    widget = QuickSelect()


# --- kvalitetsområden to choose from ---------------------------------------------------------

_AREAS = "_active_quality_areas"  # on flask.g: the active areas, read once per request


def _read_active_areas() -> list[QualityArea]:
    return list(
        db.session.scalars(
            select(QualityArea)
            .where(QualityArea.active.is_(True))
            .order_by(QualityArea.sort_order, QualityArea.name)
        )
    )


def active_quality_areas() -> list[QualityArea]:
    """The active kvalitetsområden in their order, for a form's checkboxes; read once per
    request (a case page's panel and its new-action form both offer them) and read again
    after a flush that changed an area or a rollback (core.memo)."""
    return list(remembered(_AREAS, QualityArea, _read_active_areas))


def quality_area_choices(item: Item) -> list[QualityArea]:
    """The active kvalitetsområden, and any deactivated one the item still has. When the
    item's own areas are not loaded yet they come in the same statement (each area with
    whether the item has it) and are set on the item, so that `item.quality_areas` asks
    nothing more; the active ones are kept for the request (active_quality_areas)."""
    order = (QualityArea.sort_order, QualityArea.name)
    if "quality_areas" not in inspect(item).unloaded or item.id is None:
        have = {q.id for q in item.quality_areas}
        if not have - {q.id for q in active_quality_areas()}:
            return active_quality_areas()
        return list(
            db.session.scalars(
                select(QualityArea)
                .where(QualityArea.active.is_(True) | QualityArea.id.in_(have))
                .order_by(*order)
            )
        )
    on_item = item_quality_area.c.item_id.is_not(None)
    rows = db.session.execute(
        select(QualityArea, on_item)
        .outerjoin(
            item_quality_area,
            (item_quality_area.c.quality_area_id == QualityArea.id)
            & (item_quality_area.c.item_id == item.id),
        )
        .where(QualityArea.active.is_(True) | on_item)
        .order_by(*order)
    ).all()
    # The relationship's own order (sort_order, then as the rows come).
    chosen = sorted((q for q, has in rows if has), key=lambda q: q.sort_order)
    set_committed_value(item, "quality_areas", chosen)
    remember(_AREAS, QualityArea, [q for q, _ in rows if q.active])
    return [q for q, _ in rows]

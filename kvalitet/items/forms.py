"""Form fields every kind's forms share."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget, Select


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

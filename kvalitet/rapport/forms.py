"""Forms of the kvalitetsberättelse."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from kvalitet.core import clock
from kvalitet.core.periods import Period, current_quality_year, quality_year, quality_year_of
from kvalitet.extensions import db
from kvalitet.items.models import Item


class SwedishSelectField(SelectField):
    """A select whose refusal of a value outside the list is Swedish (wtforms says "Not a
    valid choice")."""

    def __init__(self, *args: Any, invalid: str = "Välj ett av alternativen.", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form: Any) -> None:
        if self.choices is not None and self.data not in {c[0] for c in self.choices}:
            raise ValidationError(self.invalid)


def report_years() -> list[Period]:
    """Every quality year a report can be made for: the current one and each earlier year
    back to the first that holds data (history brought in from earlier years included), at
    least the five most recent."""
    current = current_quality_year()
    first_item = db.session.scalar(select(func.min(Item.created_at)))
    first_year = current.start.year - 5
    first_local = clock.to_local(first_item)
    if first_local is not None:
        first_year = min(first_year, quality_year_of(first_local.date()).start.year)
    return [quality_year(y) for y in range(current.start.year, first_year - 1, -1)]


class StartForm(FlaskForm):
    unit = SwedishSelectField("Förvaltning", coerce=int, invalid="Välj förvaltning i listan.",
                              validators=[DataRequired("Välj förvaltning.")])  # fmt: skip
    year = SwedishSelectField(
        "Kvalitetsår",
        coerce=int,
        invalid="Välj ett kvalitetsår i listan (år som har uppgifter i Kvalitet).",
        validators=[DataRequired("Välj kvalitetsår.")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year.choices = [(p.start.year, p.label) for p in report_years()]


class TextForm(FlaskForm):
    text = TextAreaField(
        "Text",
        validators=[Length(max=20000, message="Högst 20 000 tecken.")],
        render_kw={"rows": 12},
    )
    version = HiddenField()


class InledningForm(FlaskForm):
    inledning = TextAreaField(
        "Inledning (syfte och avgränsning)",
        validators=[Optional(), Length(max=20000, message="Högst 20 000 tecken.")],
        render_kw={"rows": 6},
    )


class FreezeForm(FlaskForm):
    comment = StringField(
        "Kommentar till versionen",
        validators=[Optional(), Length(max=500, message="Högst 500 tecken.")],
    )


class ConfirmFreezeForm(FlaskForm):
    """Freezing although something is missing: a confirmation and the reason."""

    confirm = BooleanField("Jag vill frysa versionen trots det som saknas")
    reason = TextAreaField(
        "Skäl till att frysa ändå",
        validators=[Optional(), Length(max=1000, message="Högst 1 000 tecken.")],
        render_kw={"rows": 3},
    )


class DetailsForm(FlaskForm):
    """What the title page says, and how the document is set."""

    diarienummer = StringField(
        "Diarienummer", validators=[Optional(), Length(max=60, message="Högst 60 tecken.")]
    )
    beslutsdatum = DateField("Datum för nämndens beslut", validators=[Optional()])
    numrerade_rubriker = BooleanField("Numrerade rubriker (1, 1.1, 2.1.1)")
    bilaga_statistik = BooleanField("Bilaga med fullständig statistik per avdelning")


class TemplateForm(FlaskForm):
    mall = FileField("Word-mall (.docx eller .dotx)")
    logo = FileField("Logotyp till försättsbladet (PNG eller JPEG)")

"""Forms of avvikelser (Flask-WTF, CSRF). Choices are filled in by the views."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.avvikelser.models import (
    ALDERSGRUPPER,
    KON_LABELS,
    NOTICED_HOW,
    ORSAK_LABELS,
)
from kvalitet.core.clock import STOCKHOLM
from kvalitet.items.forms import MultiCheckboxField, PickerField
from kvalitet.items.scales import CONSEQUENCE_LABELS, LIKELIHOOD_LABELS

DT_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
NO_NAMES = "Skriv inte namn eller personnummer på den enskilde."


def aware(value: datetime | None) -> datetime | None:
    """A datetime-local value is Swedish local time."""
    return value.replace(tzinfo=STOCKHOLM) if value is not None else None


def _optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None  # type: ignore[call-overload]


class ReportForm(FlaskForm):
    unit_id = PickerField("Enhet", coerce=int, validate_choice=False)
    category_id = SelectField(
        "Kategori", coerce=_optional_int, validate_choice=False,
        validators=[DataRequired("Välj en kategori.")],
    )  # fmt: skip
    event_at = DateTimeLocalField("När hände det?", format=DT_FORMAT, validators=[Optional()])
    noticed_at = DateTimeLocalField(
        "När upptäcktes det?", format=DT_FORMAT, validators=[Optional()]
    )
    noticed_how = SelectField(
        "Hur upptäcktes det?", choices=[("", "– välj –"), *NOTICED_HOW.items()],
        validators=[Optional()],
    )  # fmt: skip
    description = TextAreaField(
        "Vad hände?",
        validators=[DataRequired("Beskriv vad som hände."), Length(max=10000)],
        render_kw={"rows": 4},
    )
    consequence_actual = TextAreaField(
        "Vilken konsekvens fick det för den enskilde?",
        validators=[Optional(), Length(max=10000)], render_kw={"rows": 2},
    )  # fmt: skip
    consequence_possible = TextAreaField(
        "Vilken konsekvens hade det kunnat få?",
        validators=[Optional(), Length(max=10000)], render_kw={"rows": 2},
    )  # fmt: skip
    immediate_action = TextAreaField(
        "Vad gjordes direkt?", validators=[Optional(), Length(max=10000)], render_kw={"rows": 2}
    )
    external_party = StringField(
        "Extern part som berörs (om någon)", validators=[Optional(), Length(max=500)]
    )
    health_care = BooleanField("Gäller hälso- och sjukvård (går till MAS)")
    sex = SelectField(
        "Den enskildes kön (frivilligt)", choices=[("", "Anges inte"), *KON_LABELS.items()],
        validators=[Optional()],
    )  # fmt: skip
    age_group = SelectField(
        "Den enskildes åldersgrupp (frivilligt)",
        choices=[("", "Anges inte"), *ALDERSGRUPPER.items()], validators=[Optional()],
    )  # fmt: skip
    title = StringField("Rubrik (kort)", validators=[Optional(), Length(max=1000)])


class AssignForm(FlaskForm):
    owner_id = PickerField("Utredare", coerce=int, validate_choice=False)


def _scale(labels: dict[int, str]) -> list[tuple[str, str]]:
    return [(str(k), f"{k} – {v}") for k, v in labels.items()]


class AnalysisForm(FlaskForm):
    causes = MultiCheckboxField("Orsaker", choices=list(ORSAK_LABELS.items()))
    analysis = TextAreaField(
        "Analys: varför hände det?", validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 5},
    )  # fmt: skip
    consequence = SelectField(
        "Konsekvens (1–4)",
        choices=[("", "Ej bedömd"), *_scale(CONSEQUENCE_LABELS)],
        validators=[Optional()],
    )
    likelihood = SelectField(
        "Sannolikhet att det händer igen (1–4)",
        choices=[("", "Ej bedömd"), *_scale(LIKELIHOOD_LABELS)],
        validators=[Optional()],
    )

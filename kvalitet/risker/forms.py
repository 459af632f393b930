"""Forms of the risk register."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.items.forms import PickerField
from kvalitet.items.scales import CONSEQUENCE_LABELS, LIKELIHOOD_LABELS
from kvalitet.risker.models import ANLEDNING_LABELS


def _scale(labels: dict[int, str], empty: str | None) -> list[tuple[str, str]]:
    choices = [(str(k), f"{k} – {v}") for k, v in labels.items()]
    return [("", empty), *choices] if empty else choices


class RiskForm(FlaskForm):
    title = StringField(
        "Risk (kort beskrivning)", validators=[DataRequired("Beskriv risken."), Length(max=1000)]
    )
    description = TextAreaField(
        "Beskrivning: vad kan gå fel och varför?", validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 3},
    )  # fmt: skip
    consequence_text = TextAreaField(
        "Vad kan det leda till för den enskilde?", validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 2},
    )  # fmt: skip
    anledning = SelectField("Anledning till analysen", choices=list(ANLEDNING_LABELS.items()))
    unit_id = PickerField("Enhet", coerce=int, validate_choice=False)
    owner_id = PickerField("Ansvarig", coerce=int, validate_choice=False)
    likelihood = SelectField("Sannolikhet (1–4)", choices=_scale(LIKELIHOOD_LABELS, None))
    consequence = SelectField("Konsekvens (1–4)", choices=_scale(CONSEQUENCE_LABELS, None))
    residual_likelihood = SelectField(
        "Kvarvarande sannolikhet efter åtgärder",
        choices=_scale(LIKELIHOOD_LABELS, "Ej bedömd"), validators=[Optional()],
    )  # fmt: skip
    residual_consequence = SelectField(
        "Kvarvarande konsekvens efter åtgärder",
        choices=_scale(CONSEQUENCE_LABELS, "Ej bedömd"), validators=[Optional()],
    )  # fmt: skip
    review_date = DateField("Omprövas senast", validators=[Optional()])

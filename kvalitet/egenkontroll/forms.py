"""Forms of egenkontroller (Flask-WTF, CSRF). Choices are filled in by the views."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from kvalitet.core.recurrence import FREQUENCY_LABELS, MONTH_NAMES
from kvalitet.core.roles import ROLE_LABELS
from kvalitet.egenkontroll.models import METOD_LABELS, RESPONSIBLE_ROLES
from kvalitet.items.forms import MultiCheckboxField

NO_NAMES = "Skriv inte namn eller personnummer på enskilda."


def _optional_int(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None  # type: ignore[call-overload]


class PlanForm(FlaskForm):
    year = SelectField("Kvalitetsår", coerce=int, validate_choice=False)
    scope_unit_id = SelectField("Gäller för (enhet med underliggande)", coerce=int,
                                validate_choice=False)  # fmt: skip
    name = StringField("Namn", validators=[DataRequired("Ange planens namn."), Length(max=200)])
    description = TextAreaField(
        "Beskrivning", validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )


class KontrollForm(FlaskForm):
    title = StringField(
        "Vad kontrolleras?",
        validators=[DataRequired("Ange vad som kontrolleras."), Length(max=300)],
    )
    description = TextAreaField(
        "Omfattning och tillvägagångssätt", validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
    )  # fmt: skip
    method = SelectField("Metod", choices=[(str(k), v) for k, v in METOD_LABELS.items()])
    sample_size = IntegerField(
        "Urval (antal ärenden per tillfälle)",
        validators=[DataRequired("Ange urvalets storlek."), NumberRange(1, 200, "Ange 1–200.")],
        default=5,
    )
    freq = SelectField("Frekvens", choices=list(FREQUENCY_LABELS.items()), default="monthly")
    start = DateField("Från och med", validators=[DataRequired("Ange startdatum.")])
    interval = IntegerField(
        "Intervall (var N:e månad/vecka/kvartal/år)",
        validators=[Optional(), NumberRange(1, 52, "Ange 1–52.")], default=1,
    )  # fmt: skip
    day = IntegerField(
        "Dag i månaden (tom = startdatumets dag; 31 = sista dagen)",
        validators=[Optional(), NumberRange(1, 31, "Ange 1–31.")],
    )
    month = SelectField(
        "Månad (årligen) / första kvartalsmånad (1–3)",
        choices=[("", "– som startdatum –")]
        + [(str(i), m.capitalize()) for i, m in enumerate(MONTH_NAMES, start=1)],
        coerce=_optional_int, validate_choice=False,
    )  # fmt: skip
    until = DateField("Till och med (tom = tills vidare)", validators=[Optional()])
    responsible_role = SelectField(
        "Ansvarig roll", choices=[(str(r), ROLE_LABELS[r]) for r in RESPONSIBLE_ROLES]
    )
    due_working_days = IntegerField(
        "Sista datum, arbetsdagar efter planerat datum",
        validators=[Optional(), NumberRange(0, 120, "Ange 0–120.")], default=10,
    )  # fmt: skip
    unit_ids = MultiCheckboxField("Enheter", coerce=int, validate_choice=False)
    questions = TextAreaField(
        "Checklista: en fråga per rad",
        validators=[DataRequired("Skriv minst en fråga."), Length(max=20000)],
        render_kw={"rows": 5},
    )
    active = BooleanField("Aktiv (nya tillfällen skapas)", default=True)


class DueDateForm(FlaskForm):
    due_date = DateField("Sista datum", validators=[DataRequired("Ange ett datum.")])


class PerformForm(FlaskForm):
    case_count = IntegerField(
        "Antal granskade ärenden",
        validators=[DataRequired("Ange antal ärenden."), NumberRange(1, 200, "Ange 1–200.")],
    )
    summary = TextAreaField(
        "Sammanfattning", validators=[Optional(), Length(max=10000)], render_kw={"rows": 4}
    )


class FindingForm(FlaskForm):
    text = TextAreaField(
        "Nytt fynd", validators=[DataRequired("Beskriv fyndet."), Length(max=2000)],
        render_kw={"rows": 2},
    )  # fmt: skip

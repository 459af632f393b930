"""Forms of the årshjul."""

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
from kvalitet.items.forms import MultiCheckboxField

SCOPE_CHOICES = [
    ("", "Bara de valda enheterna"),
    ("enhet", "Varje enhet under de valda"),
    ("avdelning", "Varje avdelning under de valda"),
]


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]


class AktivitetForm(FlaskForm):
    title = StringField(
        "Aktivitet", validators=[DataRequired("Ange vad aktiviteten gäller."), Length(max=200)]
    )
    description = TextAreaField(
        "Beskrivning", validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    freq = SelectField("Återkommer", choices=list(FREQUENCY_LABELS.items()), default="yearly")
    start = DateField("Första datum", validators=[DataRequired("Ange första datum.")])
    interval = IntegerField(
        "Intervall (var N:e månad eller vecka)", default=1,
        validators=[Optional(), NumberRange(1, 52, "Ange 1–52.")],
    )  # fmt: skip
    day = IntegerField(
        "Dag i månaden (tomt = samma dag som första datum)",
        validators=[Optional(), NumberRange(1, 31, "Ange 1–31.")],
    )
    month = SelectField(
        "Månad (årligen) eller första månad i kvartalet (1–3)", coerce=_optional_int,
        choices=[("", "Samma som första datum")]
        + [(str(i), f"{i} – {name}") for i, name in enumerate(MONTH_NAMES, start=1)],
        validators=[Optional()],
    )  # fmt: skip
    until = DateField("Slutar (tomt = tills vidare)", validators=[Optional()])
    responsible_role = SelectField("Ansvarig roll", choices=[])
    units = MultiCheckboxField("Enheter", coerce=int, validate_choice=False)
    scope_kind = SelectField("Uppgifter skapas för", choices=SCOPE_CHOICES, default="")
    lead_days = IntegerField(
        "Skapa uppgiften så många dagar före", default=30,
        validators=[Optional(), NumberRange(0, 366, "Ange 0–366.")],
    )  # fmt: skip
    egk_metod = SelectField(
        "Genomförs som egenkontroll", choices=[], default="",
        description="Där en fastställd egenkontrollplan har en kontroll med den metoden vid "
        "enheten samma månad blir egenkontrollen uppgiften: årshjulet skapar ingen egen "
        "och visar egenkontrollen i stället.",
    )  # fmt: skip
    active = BooleanField("Aktiv", default=True)

    def set_role_choices(self, roles: tuple[str, ...]) -> None:
        self.responsible_role.choices = [(str(r), ROLE_LABELS[r]) for r in roles]  # type: ignore[index]


class DueDateForm(FlaskForm):
    due_date = DateField("Klart senast", validators=[DataRequired("Ange ett datum.")])

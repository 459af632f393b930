"""Forms of förbättringsåtgärder."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.atgarder.models import ATGARD_TYP_LABELS
from kvalitet.items.forms import MultiCheckboxField, PickerField


class AtgardForm(FlaskForm):
    title = StringField(
        "Vad ska göras?", validators=[DataRequired("Ange vad som ska göras."), Length(max=1000)]
    )
    atgard_typ = SelectField(
        "Typ av åtgärd", choices=[(k.value, v) for k, v in ATGARD_TYP_LABELS.items()],
        default="forbattring",
    )  # fmt: skip
    description = TextAreaField(
        "Beskrivning", validators=[Optional(), Length(max=10000)], render_kw={"rows": 3}
    )
    why = TextAreaField(
        "Varför behövs åtgärden?", validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 2},
    )  # fmt: skip
    unit_id = PickerField("Enhet", coerce=int, validate_choice=False)
    owner_id = PickerField("Ansvarig", coerce=int, validate_choice=False)
    units_concerned = MultiCheckboxField("Berörda enheter", coerce=int, validate_choice=False)
    quality_area_ids = MultiCheckboxField("Kvalitetsområden", coerce=int, validate_choice=False)
    start_date = DateField("Startdatum", validators=[Optional()])
    due_date = DateField("Klart senast", validators=[Optional()])
    source_text = StringField(
        "Källa (om åtgärden inte kommer från ett ärende)", validators=[Optional(), Length(max=200)]
    )
    carry_over = BooleanField("Återkommer nästa år (tas med i nästa kvalitetsberättelse)")


class DoneForm(FlaskForm):
    done_text = TextAreaField(
        "Vad har gjorts?", validators=[Optional(), Length(max=10000)], render_kw={"rows": 3}
    )


class EffectForm(FlaskForm):
    effect_text = TextAreaField(
        "Uppföljning av effekt",
        validators=[DataRequired("Beskriv effekten."), Length(max=10000)],
        render_kw={"rows": 3},
    )
    effect_date = DateField("Uppföljd datum", validators=[Optional()])


class DeferForm(FlaskForm):
    reason = TextAreaField(
        "Skäl till att åtgärden skjuts upp", validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )  # fmt: skip

"""Forms of the samlad analys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.items.forms import PickerField


class ConclusionForm(FlaskForm):
    text = TextAreaField("Slutsats", validators=[DataRequired("Skriv slutsatsen."),
                         Length(max=5000)], render_kw={"rows": 3})  # fmt: skip
    quality_area_id = SelectField("Kvalitetsområde", coerce=int, validate_choice=False)
    make_atgard = BooleanField("Besluta en förbättringsåtgärd utifrån slutsatsen")
    atgard_title = StringField("Åtgärd (vad ska göras)", validators=[Optional(),
                               Length(max=200)])  # fmt: skip
    atgard_owner_id = PickerField("Ansvarig för åtgärden", coerce=int, validate_choice=False)
    atgard_due = DateField("Klart senast", validators=[Optional()])


class StartForm(FlaskForm):
    unit_id = PickerField("Enhet", coerce=int, validate_choice=False)
    start = DateField("Från och med", validators=[DataRequired("Ange ett datum.")])
    end = DateField("Till och med", validators=[DataRequired("Ange ett datum.")])


class ThemeForm(FlaskForm):
    label = StringField("Namn på temat", validators=[DataRequired("Ge temat ett namn."),
                        Length(max=200)])  # fmt: skip
    list_key = SelectField("Lägg till i listan", choices=[
        ("avvikelse_kategori", "Kategorier för avvikelser"),
        ("synpunkt_tema", "Teman för synpunkter och klagomål")])  # fmt: skip

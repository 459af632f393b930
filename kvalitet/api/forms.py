"""Forms of the API module: creating a personal API token, and the import steps."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

DAY_CHOICES = [("30", "30 dagar"), ("90", "90 dagar"), ("180", "180 dagar"), ("365", "1 år")]


class TokenForm(FlaskForm):
    name = StringField(
        "Namn på nyckeln",
        validators=[
            DataRequired("Ge nyckeln ett namn, t.ex. vad den ska användas till."),
            Length(max=100, message="Högst 100 tecken."),
        ],
    )
    days = SelectField("Giltig i", choices=DAY_CHOICES, default="90")


class RevokeForm(FlaskForm):
    pass


class UploadForm(FlaskForm):
    kind = SelectField("Vad importeras", choices=[])
    file = FileField("Fil (CSV eller Excel .xlsx)")


class PreviewForm(FlaskForm):
    """Column mapping: one select per target field is added at runtime (map_<field>)."""

    partial = BooleanField("Importera de giltiga raderna även om några rader har fel")

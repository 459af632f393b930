"""Forms of the kvalitetsberättelse."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class StartForm(FlaskForm):
    unit = SelectField("Förvaltning", coerce=int, validators=[DataRequired("Välj förvaltning.")])
    year = SelectField("Kvalitetsår", coerce=int, validators=[DataRequired("Välj kvalitetsår.")])


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

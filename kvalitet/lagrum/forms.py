from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional


class LagrumForm(FlaskForm):
    valid_from = DateField("Gäller från", validators=[DataRequired("Ange datum.")])
    text = StringField(
        "Lagrum (så som det skrivs ut)",
        validators=[DataRequired("Skriv lagrummet."), Length(max=500)],
    )


class NewLagrumForm(LagrumForm):
    key = StringField(
        "Nyckel",
        validators=[DataRequired("Ange nyckel."), Length(max=60)],
        description="Befintlig nyckel för en ny lydelse, t.ex. sol_lex_sarah.",
    )
    description = StringField("Vad lagrummet gäller", validators=[Optional(), Length(max=300)])

"""Forms of the kvalitetsberättelse."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
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

"""Forms of the lex Maria steps. The report, immediate measures, entry, IVO, sent, action
and closing forms are lex Sarah's (same fields); the assessment, decision and information
forms are lex Maria's own."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.items.forms import PickerField
from kvalitet.lexmaria.models import (
    BEDOMNING_LABELS,
    INFO_POINTS,
    SATT_LABELS,
    SEKTION_LABELS,
    Mottagare,
    PsbAvsnitt,
)
from kvalitet.lexsarah.forms import (
    ActionForm,
    CloseForm,
    EntryForm,
    ImmediateForm,
    IvoForm,
    ReportForm,
    SentForm,
    aware,
)

__all__ = [
    "ActionForm",
    "AssessForm",
    "CloseForm",
    "DecisionForm",
    "ImmediateForm",
    "InformForm",
    "IvoForm",
    "MariaEntryForm",
    "PsbStartForm",
    "ReportForm",
    "SentForm",
    "aware",
]


class AssessForm(FlaskForm):
    assessment = RadioField(
        "MAS bedömning",
        choices=[(str(k), v) for k, v in BEDOMNING_LABELS.items()],
        validators=[DataRequired("Välj en bedömning.")],
    )
    assessment_text = TextAreaField(
        "Motivering",
        validators=[DataRequired("Skriv en motivering."), Length(max=5000)],
        render_kw={"rows": 3},
    )


class MariaEntryForm(EntryForm):
    section = SelectField(
        "Avsnitt",
        choices=[(str(k), v) for k, v in SEKTION_LABELS.items()],
        validators=[DataRequired("Välj avsnitt.")],
    )


class DecisionForm(FlaskForm):
    people: list[Any]  # the decision makers offered (set by the view)
    ivo_anmalan = RadioField(
        "Ska händelsen anmälas till IVO?",
        choices=[
            ("ja", "Ja, händelsen har medfört eller hade kunnat medföra en allvarlig vårdskada"),
            ("nej", "Nej"),
        ],
        validators=[DataRequired("Välj om händelsen ska anmälas.")],
    )
    decision_maker_id = PickerField("Beslutsfattare", coerce=int, validate_choice=False)
    decision_date = DateField("Beslutsdatum", validators=[DataRequired("Ange beslutsdatum.")])
    decision_reason = TextAreaField(
        "Motivering",
        validators=[DataRequired("Skriv beslutets motivering."), Length(max=10000)],
        render_kw={"rows": 3},
    )


class InformForm(FlaskForm):
    informed_date = DateField("Datum då informationen gavs", validators=[Optional()])
    informed_who = RadioField(
        "Vem informerades",
        choices=[(str(m), m.label) for m in Mottagare],
        validators=[Optional()],
    )
    informed_how = SelectField(
        "Hur informationen gavs",
        choices=[("", "– välj –")] + [(str(k), v) for k, v in SATT_LABELS.items()],
        validators=[Optional()],
    )
    info_handelse = BooleanField(INFO_POINTS["info_handelse"])
    info_atgarder = BooleanField(INFO_POINTS["info_atgarder"])
    info_klagomal = BooleanField(INFO_POINTS["info_klagomal"])
    info_anmalan = BooleanField(INFO_POINTS["info_anmalan"])
    informed_note = TextAreaField(
        "Anteckning (frivillig)",
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    not_informed_reason = TextAreaField(
        "Om ingen kunde informeras: varför",
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
        description="T.ex. att patienten avböjt och saknar närstående. Lämna tomt om "
        "informationen har getts.",
    )


class PsbStartForm(FlaskForm):
    unit_id = PickerField("Vårdgivare (förvaltning)", coerce=int, validate_choice=False)
    year = SelectField("Kalenderår", coerce=int, validate_choice=False)


class PsbTextForm(FlaskForm):
    text = TextAreaField("Text", validators=[Optional(), Length(max=20000)], render_kw={"rows": 12})
    version = HiddenField("version", validators=[Optional()])


class PsbFreezeForm(FlaskForm):
    comment = StringField("Kommentar (frivillig)", validators=[Optional(), Length(max=500)])


AVSNITT_CHOICES = [(str(a), a.label) for a in PsbAvsnitt]

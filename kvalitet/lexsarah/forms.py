"""Forms of the lex Sarah steps (Flask-WTF, CSRF)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.core.clock import STOCKHOLM
from kvalitet.items.forms import MultiCheckboxField, PickerField
from kvalitet.items.provenance import Karaktar
from kvalitet.lexsarah.models import (
    BEDOMNING_LABELS,
    KANAL_LABELS,
    SEKTION_LABELS,
    UTFALL_LABELS,
)

DT_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def aware(value: datetime | None) -> datetime | None:
    """A datetime-local field value is Swedish local time."""
    return value.replace(tzinfo=STOCKHOLM) if value is not None else None


class ReportForm(FlaskForm):
    unit_id = PickerField("Enhet som rapporten gäller", coerce=int, validate_choice=False)
    title = StringField(
        "Kort rubrik",
        validators=[DataRequired("Skriv en kort rubrik."), Length(max=200)],
        description="Skriv inte den enskildes namn eller personnummer.",
    )
    description = TextAreaField(
        "Vad har hänt?",
        validators=[DataRequired("Beskriv vad som har hänt."), Length(max=20000)],
        render_kw={"rows": 5},
    )
    happened_at = DateTimeLocalField("När hände det?", format=DT_FORMAT, validators=[Optional()])
    noticed_at = DateTimeLocalField(
        "När uppmärksammades det?", format=DT_FORMAT, validators=[Optional()]
    )
    noticed_how = TextAreaField(
        "Hur uppmärksammades det?",
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 2},
    )
    consequences = TextAreaField(
        "Konsekvenser eller risk för den enskilde",
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    immediate_measures = TextAreaField(
        "Omedelbara åtgärder som vidtagits",
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
    )
    immediate_measures_at = DateTimeLocalField(
        "När vidtogs åtgärderna?", format=DT_FORMAT, validators=[Optional()]
    )


class ImmediateForm(FlaskForm):
    immediate_measures = TextAreaField(
        "Omedelbara åtgärder",
        validators=[DataRequired("Beskriv åtgärderna."), Length(max=5000)],
        render_kw={"rows": 3},
    )
    immediate_measures_at = DateTimeLocalField(
        "Tidpunkt", format=DT_FORMAT, validators=[DataRequired("Ange tidpunkt.")]
    )


class AssessForm(FlaskForm):
    assessment = RadioField(
        "Första bedömning",
        choices=[(str(k), v) for k, v in BEDOMNING_LABELS.items()],
        validators=[DataRequired("Välj en bedömning.")],
    )
    assessment_text = TextAreaField(
        "Motivering",
        validators=[DataRequired("Skriv en motivering."), Length(max=5000)],
        render_kw={"rows": 3},
    )


class EntryForm(FlaskForm):
    section = SelectField(
        "Avsnitt",
        choices=[(str(k), v) for k, v in SEKTION_LABELS.items()],
        validators=[DataRequired("Välj avsnitt.")],
    )
    entry_date = DateField("Datum", validators=[DataRequired("Ange datum.")])
    source = StringField(
        "Källa",
        validators=[DataRequired("Ange källa."), Length(max=300)],
        description="T.ex. samtal med personal, journalanteckning, verksamhetssystemet.",
    )
    karaktar = RadioField(
        "Fakta eller bedömning",
        choices=[(str(k), k.label) for k in Karaktar],
        validators=[DataRequired("Ange fakta eller bedömning.")],
    )
    text = TextAreaField(
        "Uppgift",
        validators=[DataRequired("Skriv uppgiften."), Length(max=20000)],
        render_kw={"rows": 3},
    )


class DecisionForm(FlaskForm):
    people: list[Any]  # the decision makers offered (set by the view)
    outcome = RadioField(
        "Utfall",
        choices=[(str(k), v) for k, v in UTFALL_LABELS.items()],
        validators=[DataRequired("Välj utfall.")],
    )
    allvarligt = BooleanField("Missförhållandet (eller risken) är allvarligt")
    decision_maker_id = PickerField("Beslutsfattare", coerce=int, validate_choice=False)
    decision_date = DateField("Beslutsdatum", validators=[DataRequired("Ange beslutsdatum.")])
    decision_reason = TextAreaField(
        "Motivering",
        validators=[DataRequired("Skriv beslutets motivering."), Length(max=10000)],
        render_kw={"rows": 3},
    )


class IvoForm(FlaskForm):
    filed_date = DateField("Datum för anmälan", validators=[DataRequired("Ange datum.")])
    channel = RadioField(
        "Kanal",
        choices=[(str(k), v) for k, v in KANAL_LABELS.items()],
        validators=[DataRequired("Välj kanal.")],
        description="Anmälan skickas aldrig med e-post.",
    )
    region = SelectField("IVO-region", validate_choice=False)
    diarienummer = StringField("IVO:s diarienummer", validators=[Optional(), Length(max=60)])
    attached = BooleanField("Utredningen bifogades anmälan")


class SentForm(FlaskForm):
    sent_date = DateField(
        "Datum då utredningen skickades till IVO", validators=[DataRequired("Ange datum.")]
    )


class SpreadForm(FlaskForm):
    ledningsgrupp_date = DateField(
        "Avdelningens ledningsgrupp gick igenom beslutet", validators=[Optional()]
    )
    spread_text = TextAreaField(
        "Lärdomar och åtgärder att sprida",
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 3},
        description="Visas för cheferna på de valda enheterna. Inga uppgifter om den enskilde.",
    )
    unit_ids = MultiCheckboxField("Enheter där samma risk finns", coerce=int, validate_choice=False)


class ConfirmForm(FlaskForm):
    note = TextAreaField(
        "Kommentar (frivillig)", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )


class CloseForm(FlaskForm):
    closing_note = TextAreaField(
        "Avslutande kommentar", validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )


class ActionForm(FlaskForm):
    title = StringField(
        "Förbättringsåtgärd",
        validators=[DataRequired("Beskriv åtgärden."), Length(max=200)],
        description="Syns för enhetens chefer: skriv åtgärden, inte detaljer om händelsen.",
    )
    unit_id = PickerField("Enhet (enhetens chef blir ansvarig)", coerce=int, validate_choice=False)
    due_date = DateField("Klart senast", validators=[DataRequired("Ange datum.")])

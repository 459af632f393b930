"""Forms of synpunkter (Flask-WTF, CSRF). Unit and theme choices are filled in by the views."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kvalitet.items.forms import MultiCheckboxField, PickerField
from kvalitet.synpunkter.models import KALLA_LABELS, KANAL_LABELS, SVAR_LABELS, TYP_LABELS

NO_CLIENT_DATA = "Skriv inte personnummer eller namn på den enskilde i beskrivningen."


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None", "0", 0):
        return None
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return -1


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return -1


TYP_CHOICES = [(str(k), v) for k, v in TYP_LABELS.items()]
KALLA_CHOICES = [(str(k), v) for k, v in KALLA_LABELS.items()]
KANAL_CHOICES = [(str(k), v) for k, v in KANAL_LABELS.items()]
SVAR_CHOICES = [("", "– välj –"), *((str(k), v) for k, v in SVAR_LABELS.items())]


class RegisterForm(FlaskForm):
    received_date = DateField("Mottagen", validators=[DataRequired("Ange när den kom in.")])
    kanal = SelectField("Hur kom den in?", choices=KANAL_CHOICES)
    kalla = SelectField("Vem kommer den från?", choices=KALLA_CHOICES)
    typ = SelectField("Vad är det?", choices=TYP_CHOICES)
    unit_id = PickerField("Enhet", coerce=_int, validate_choice=False)
    theme_ids = MultiCheckboxField("Teman (välj alla som passar)", coerce=int)
    description = TextAreaField(
        "Vad gäller det?",
        validators=[DataRequired("Beskriv vad det gäller."), Length(max=10000)],
        render_kw={"rows": 5, "maxlength": 10000},
    )
    title = StringField(
        "Rubrik (kort)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    health_care = BooleanField("Gäller hälso- och sjukvård (svar inom fyra veckor)")
    anonymous = BooleanField("Anonym (inget svar ska lämnas)")
    contact_name = StringField("Namn", validators=[Optional(), Length(max=200)])
    contact_info = StringField(
        "Kontaktuppgifter (adress, e-post eller telefon)", validators=[Optional(), Length(max=200)]
    )


class OralForm(FlaskForm):
    unit_id = PickerField("Enhet", coerce=_int, validate_choice=False)
    typ = SelectField("Vad är det?", choices=TYP_CHOICES)
    kalla = SelectField("Vem lämnade den?", choices=KALLA_CHOICES)
    theme_ids = MultiCheckboxField("Teman (välj alla som passar)", coerce=int)
    description = TextAreaField(
        "Vad sades?",
        validators=[DataRequired("Beskriv kort vad som sades."), Length(max=10000)],
        render_kw={"rows": 4, "maxlength": 10000},
    )
    title = StringField(
        "Rubrik (kort)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    anonymous = BooleanField("Personen vill inte ha svar", default=True)
    contact_info = StringField(
        "Kontaktuppgifter om personen vill ha svar", validators=[Optional(), Length(max=200)]
    )


class AckForm(FlaskForm):
    acknowledged_date = DateField("Datum", validators=[DataRequired("Ange datum.")])
    ack_method = SelectField("Hur?", choices=SVAR_CHOICES,
                             validators=[DataRequired("Välj hur bekräftelsen gavs.")])  # fmt: skip


class AnswerForm(FlaskForm):
    answer_text = TextAreaField(
        "Svaret",
        validators=[DataRequired("Skriv svaret eller en sammanfattning av det."),
                    Length(max=10000)],
        render_kw={"rows": 5, "maxlength": 10000},
    )  # fmt: skip
    explanation = TextAreaField(
        "Förklaring och åtgärder",
        validators=[Optional(), Length(max=10000)],
        render_kw={"rows": 3, "maxlength": 10000},
    )
    answered_date = DateField("Svarsdatum", validators=[DataRequired("Ange datum.")])
    answer_method = SelectField(
        "Hur skickades svaret?",
        choices=SVAR_CHOICES,
        validators=[DataRequired("Välj hur svaret skickades.")],
    )


class PublicForm(FlaskForm):
    unit_id = SelectField("Vilken verksamhet gäller det?", validate_choice=False)
    typ = RadioField("Vad vill du lämna?", choices=TYP_CHOICES,
                     validators=[DataRequired("Välj vad du vill lämna.")])  # fmt: skip
    # No answer chosen in advance: a default would skew the statistics of who complains.
    kalla = SelectField("Vem är du?", choices=[("", "– välj –"), *KALLA_CHOICES],
                        validators=[DataRequired("Välj vem du är.")])  # fmt: skip
    description = TextAreaField(
        "Berätta vad det gäller",
        validators=[DataRequired("Skriv vad du vill berätta.")],
        render_kw={"rows": 7},
    )
    title = StringField(
        "Rubrik (kort)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    name = StringField(
        "Ditt namn (frivilligt)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
        render_kw={"autocomplete": "name"},
    )
    contact = StringField(
        "E-post, telefon eller adress (frivilligt)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    # Honeypot: hidden from people, filled in by bots. Never shown, never saved.
    webbplats = StringField("Lämna detta fält tomt", render_kw={"autocomplete": "off",
                                                                 "tabindex": "-1"})  # fmt: skip

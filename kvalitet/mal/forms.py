"""Forms of mål och indikatorer. Values are checked by the operations (the same rules for the
web, the API and the import); a refused value is shown next to its field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from kvalitet.items.forms import MultiCheckboxField, PickerField
from kvalitet.mal.measures import measure_choices
from kvalitet.mal.models import (
    BEDOMNING_LABELS,
    BEDOMNING_SYMBOLS,
    ENHET_LABELS,
    METOD_LABELS,
    RIKTNING_LABELS,
    Kon,
)
from kvalitet.mal.periods import CHOICES
from kvalitet.mal.periods import choices as period_choices


class PlanForm(FlaskForm):
    unit_id = PickerField("Enhet", coerce=int, validate_choice=False)
    year = StringField("År", validators=[Length(max=4)])
    name = StringField("Planens namn", validators=[Length(max=200)])
    description = TextAreaField("Beskrivning", validators=[Optional()], render_kw={"rows": 3})
    levels = TextAreaField(
        "Målnivåer, en per rad (högst tre; indikatorn är nivån under)", render_kw={"rows": 3}
    )


class GoalForm(FlaskForm):
    nr = StringField("Nummer", validators=[Length(max=20)])
    name = StringField("Mål (kort namn)", validators=[Length(max=300)])
    description = TextAreaField("Beskrivning", validators=[Optional()], render_kw={"rows": 3})
    area_ids = MultiCheckboxField("Kvalitetsområden", coerce=int, validate_choice=False)
    processes = StringField("Processer eller verksamhetsområden", validators=[Length(max=500)])
    unit_ids = MultiCheckboxField("Enheter som berörs", coerce=int, validate_choice=False)
    owner_id = PickerField("Ansvarig för målet", coerce=int, validate_choice=False)


class IndikatorForm(FlaskForm):
    nr = StringField("Nummer", validators=[Length(max=20)])
    name = StringField("Indikator: vad mäts", validators=[Length(max=300)])
    description = TextAreaField(
        "Hur mäts det (metod, urval)", validators=[Optional()], render_kw={"rows": 3}
    )
    method = SelectField(
        "Mätmetod", choices=[(str(k), v) for k, v in METOD_LABELS.items()], validate_choice=False
    )
    measure = SelectField(
        "Mått i Kvalitet (fylls i av sig själv när perioden är slut)",
        choices=[("", "Inget: utfallet rapporteras för hand"), *measure_choices()],
        validate_choice=False,
    )
    source = StringField(
        "Källa (t.ex. brukarundersökning 2026, Procapita)", validators=[Length(max=300)]
    )
    unit_of_measure = SelectField(
        "Enhet", choices=[(str(k), v) for k, v in ENHET_LABELS.items()], validate_choice=False
    )
    scale_max = StringField("Skalans högsta värde (bara för skala)")
    direction = SelectField(
        "Riktning",
        choices=[("", "Ingen vald"), *[(str(k), v) for k, v in RIKTNING_LABELS.items()]],
        validate_choice=False,
    )
    target = StringField("Målvärde (lägsta värde vid intervall)")
    target_high = StringField("Högsta värde (bara vid intervall)")
    baseline = StringField("Utgångsläge")
    baseline_year = StringField("Utgångsläge från år")
    history = TextAreaField("Tidigare års värden, ett per rad (2024: 71)", render_kw={"rows": 2})
    periods = MultiCheckboxField("Mäts", choices=CHOICES, validate_choice=False)
    responsible_id = SelectField("Ansvarig för mätningen", coerce=int, validate_choice=False)
    by_sex = BooleanField("Redovisas per kön")
    sex_labels = SelectField(
        "Könsindelning",
        choices=[(Kon.KVINNOR_MAN, "Kvinnor och män"), (Kon.FLICKOR_POJKAR, "Flickor och pojkar")],
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periods.choices = period_choices()  # the months of this installation's year


class UtfallForm(FlaskForm):
    value = StringField("Värde")
    value_k = StringField("Kvinnor")
    value_m = StringField("Män")
    n_k = StringField("Antal kvinnor (personer bakom värdet)")
    n_m = StringField("Antal män (personer bakom värdet)")
    comment = TextAreaField("Kommentar och analys", validators=[Optional()], render_kw={"rows": 4})


class BedomningForm(FlaskForm):
    value = RadioField(
        "Samlad bedömning",
        choices=[(str(k), f"{BEDOMNING_SYMBOLS[k]} {v}") for k, v in BEDOMNING_LABELS.items()],
        validate_choice=False,
    )
    orsak = TextAreaField("Orsak (siffrorna, vad som hänt)", render_kw={"rows": 3})
    analys = TextAreaField("Analys", render_kw={"rows": 3})
    atgarder_text = TextAreaField("Åtgärder (vad görs, av vem)", render_kw={"rows": 3})
    atgard_refs = StringField(
        "Koppla befintliga förbättringsåtgärder (nummer, t.ex. ATG-2026-0004)"
    )


class NewAtgardForm(FlaskForm):
    title = StringField("Ny förbättringsåtgärd: vad ska göras", validators=[Length(max=200)])
    owner_id = PickerField("Ansvarig", coerce=int, validate_choice=False)
    due_date = DateField("Klart senast", validators=[Optional()])


class AdoptForm(FlaskForm):
    unit_id = PickerField("Enhet som antar målen", coerce=int, validate_choice=False)


class FreezeForm(FlaskForm):
    comment = StringField("Kommentar till versionen", validators=[Length(max=500)])


class ImportForm(FlaskForm):
    what = SelectField(
        "Vad filen innehåller",
        choices=[("utfall", "Utfall"), ("struktur", "Mål och indikatorer")],
        validate_choice=False,
    )
    file = FileField("Fil (CSV eller Excel)")


class InternkontrollForm(FlaskForm):
    kontroll_id = SelectField(
        "Kontrollmoment (ur en egenkontrollplan)", coerce=int, validate_choice=False
    )
    process_name = StringField("Process eller rutin", validators=[Length(max=300)])
    sannolikhet = SelectField(
        "Sannolikhet (1–4)", choices=[(str(i), str(i)) for i in range(1, 5)], validate_choice=False
    )
    konsekvens = SelectField(
        "Konsekvens (1–4)", choices=[(str(i), str(i)) for i in range(1, 5)], validate_choice=False
    )
    rapporteras_till = StringField("Rapporteras till", validators=[Length(max=200)])

"""Forms of notification settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from kvalitet.notify.models import MAIL_MODE_LABELS


class PreferenceForm(FlaskForm):
    mail_mode = RadioField(
        "E-post om notiser",
        choices=[(str(k), v) for k, v in MAIL_MODE_LABELS.items()],
        validators=[InputRequired("Välj ett av alternativen.")],
    )

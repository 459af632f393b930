from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class RuleForm(FlaskForm):
    kind = HiddenField()
    years = IntegerField(
        "Gallras efter (år från avslut)",
        validators=[DataRequired("Ange antal år."), NumberRange(1, 100, "Ange 1–100 år.")],
    )
    active = BooleanField("Regeln gäller (nattlig gallring)")
    basis = StringField("Grund (dokumenthanteringsplan)", validators=[Optional(), Length(max=200)])


class HoldForm(FlaskForm):
    ref = StringField("Ärendenummer", validators=[DataRequired("Ange ärendenummer.")])
    reason = StringField(
        "Varför får ärendet inte gallras?",
        validators=[DataRequired("Ange ett skäl."), Length(max=500)],
    )

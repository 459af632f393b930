from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class MappingForm(FlaskForm):
    group_name = StringField(
        "Grupp hos identitetsleverantören",
        validators=[DataRequired("Ange gruppens namn."), Length(max=300)],
        description="Som den kommer i gruppanspråket, t.ex. SOC-IFO-Chefer-Utr1 eller "
        "gruppens objekt-id i Entra ID.",
    )
    role = SelectField("Roll", validators=[DataRequired("Välj en roll.")])
    unit_id = SelectField("Vid enhet", coerce=int, validators=[DataRequired("Välj en enhet.")])

"""Admin forms that extend org's: a unit with its founding and closing dates."""

from __future__ import annotations

from wtforms import DateField
from wtforms.validators import Optional

from kvalitet.org.forms import UnitForm


class UnitLifeForm(UnitForm):
    founded_on = DateField(
        "Startade (frivilligt)", validators=[Optional()],
        description="Historik som förs in för enheten kan inte ligga före detta datum.",
    )  # fmt: skip
    closed_on = DateField(
        "Lades ned (frivilligt)", validators=[Optional()],
        description="Historik kan inte ligga efter detta datum.",
    )  # fmt: skip

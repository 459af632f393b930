"""The typical årshjul of DOMAIN.md §6, seeded once when an installation has an organisation
and no activities yet (`seed_typical_year`; reference.seed runs before any unit exists, so it
only seeds when units exist)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from kvalitet.arshjul.models import ArshjulAktivitet
from kvalitet.core import clock
from kvalitet.core.periods import quality_year_of
from kvalitet.core.recurrence import Rule
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.org.models import Unit, UnitKind

# (title, description, freq, month (or None), day, interval, role, scope kind, lead days)
TYPICAL_YEAR: list[tuple[str, str, str, int | None, int | None, int, str, str | None, int]] = [
    ("Loggkontroll skyddade personuppgifter",
     "Kontrollera loggarna över åtkomst till akter med skyddade personuppgifter.",
     "last_working_day", None, None, 1, Role.ENHETSCHEF, UnitKind.ENHET, 14),
    ("Sammanställning och analys av avvikelser (APT)",
     "Sammanställ enhetens avvikelser och analysera mönster; presentera på APT.",
     "quarterly", 3, 15, 1, Role.ENHETSCHEF, UnitKind.ENHET, 30),
    ("Gemensam analys av klagomål, avvikelser och lex Sarah",
     "Avdelningens halvårsanalys av klagomål, avvikelser och lex Sarah tillsammans med SAS.",
     "monthly", 2, 28, 6, Role.AVDELNINGSCHEF, UnitKind.AVDELNING, 30),
    ("Egenkontrollplan fastställs",
     "Förvaltningens egenkontrollplan för året fastställs.",
     "yearly", 3, 31, 1, Role.KVALITETSUTVECKLARE, None, 45),
    ("Egenkontroller genomförs",
     "Höstens egenkontroller genomförs enligt planen.",
     "yearly", 11, 15, 1, Role.ENHETSCHEF, UnitKind.ENHET, 45),
    ("Egenkontrollernas resultat in i uppföljningen av verksamhetsplanen",
     "Resultaten från egenkontrollerna förs in i uppföljningen av verksamhetsplanen.",
     "yearly", 6, 15, 1, Role.AVDELNINGSCHEF, UnitKind.AVDELNING, 30),
    ("Kvalitetsåret avslutas",
     "Kvalitetsåret avslutas. Underlag till kvalitetsberättelsen tas fram.",
     "yearly", 8, 31, 1, Role.KVALITETSUTVECKLARE, None, 30),
    ("Utkast till kvalitetsberättelse sammanställs, texter fördelas till chefer",
     "Utkastet sammanställs och texterna fördelas till avdelnings- och enhetschefer.",
     "yearly", 9, 30, 1, Role.KVALITETSUTVECKLARE, None, 30),
    ("Chefernas texter till kvalitetsberättelsen",
     "Analys och slutsatser per kvalitetsområde samt identifierade förbättringsområden.",
     "yearly", 10, 31, 1, Role.AVDELNINGSCHEF, UnitKind.AVDELNING, 30),
    ("Ledningens genomgång",
     "Förvaltningsledningen går igenom kvalitetsarbetet och beslutar om förbättringsområden.",
     "yearly", 11, 30, 1, Role.KVALITETSUTVECKLARE, None, 30),
    ("Kvalitetsberättelsen till nämnden",
     "Kvalitetsberättelsen lämnas till nämnden.",
     "yearly", 12, 15, 1, Role.KVALITETSUTVECKLARE, None, 30),
]  # fmt: skip


# Activities of the typical year that an egenkontroll plan's control of this method does
# (the monthly loggkontroll): where a plan covers them, the egenkontroll is the task.
EGK_METOD = {"Loggkontroll skyddade personuppgifter": "loggkontroll"}


def typical_rule(freq: str, month: int | None, day: int | None, interval: int, start: date) -> Rule:
    if freq == "yearly":
        assert month is not None and day is not None
        return Rule(freq="yearly", start=start, month=month, day=day)
    if freq == "quarterly":
        return Rule(freq="quarterly", start=start, month=month, day=day)
    if freq == "monthly":
        # Every `interval` months from the month given (e.g. February and August).
        first = date(start.year, month or start.month, 1)
        if first < start.replace(day=1):
            first = date(start.year + 1, first.month, 1)
        return Rule(freq="monthly", start=first, interval=interval, day=day)
    return Rule(freq=freq, start=start)


def seed_typical_year(start: date | None = None) -> list[ArshjulAktivitet]:
    """Create the typical year's activities for the förvaltning (once)."""
    if db.session.scalar(select(func.count(ArshjulAktivitet.id))):
        return []
    forv = db.session.scalar(
        select(Unit).where(Unit.kind == UnitKind.FORVALTNING).order_by(Unit.path)
    ) or db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    if forv is None:
        return []
    start = start or quality_year_of(clock.today()).start
    made = []
    for order, row in enumerate(TYPICAL_YEAR, start=1):
        title, text, freq, month, day, interval, role, scope, lead = row
        akt = ArshjulAktivitet(
            title=title, description=text, responsible_role=str(role), scope_kind=scope,
            lead_days=lead, sort_order=order, active=True, units=[forv],
        )  # fmt: skip
        akt.rule = typical_rule(freq, month, day, interval, start)
        akt.egk_metod = EGK_METOD.get(title)
        db.session.add(akt)
        made.append(akt)
    return made


def seed() -> None:
    seed_typical_year()


def typical_year_rows() -> list[dict[str, Any]]:
    return [{"title": row[0], "freq": row[2]} for row in TYPICAL_YEAR]

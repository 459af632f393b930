"""`lagrum(key, on_date)`: the wording of a legal reference that applied on a date.

The rows live in the `lagrum` table (editable by an administrator under Admin › Lagrum).
REFERENCES below is what every installation starts with (reference.py seeds it) and what is
used for a key that has no row yet. The dates are the dates the wording took effect; where
a regulation was amended, a later row carries the amended wording.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import has_app_context, has_request_context
from sqlalchemy import select

from kvalitet.core import clock, refcache
from kvalitet.core.memo import remembered
from kvalitet.extensions import db
from kvalitet.lagrum.models import Lagrum

OLD_SOL = "socialtjänstlagen (2001:453)"
NEW_SOL = "socialtjänstlagen (2025:400)"
PSL = "patientsäkerhetslagen (2010:659)"

# key -> (what it is for, [(valid from, wording), ...] oldest first)
REFERENCES: dict[str, tuple[str, list[tuple[date, str]]]] = {
    "sol": (
        "Socialtjänstlagen",
        [
            (date(2002, 1, 1), OLD_SOL),
            (date(2025, 7, 1), NEW_SOL),
        ],
    ),
    "sol_lex_sarah": (
        "Lex Sarah i socialtjänstlagen",
        [
            (date(2011, 7, 1), f"14 kap. 3–7 §§ {OLD_SOL}"),
            (date(2025, 7, 1), f"bestämmelserna om lex Sarah i {NEW_SOL}"),
        ],
    ),
    "lss": (
        "LSS",
        [
            (
                date(1994, 1, 1),
                "lagen (1993:387) om stöd och service till vissa funktionshindrade (LSS)",
            ),
        ],
    ),
    "lss_lex_sarah": (
        "Lex Sarah i LSS",
        [
            (
                date(2011, 7, 1),
                "24 a–24 g §§ lagen (1993:387) om stöd och service till vissa "
                "funktionshindrade (LSS)",
            ),
        ],
    ),
    "lex_sarah": (
        "Lagrum i lex Sarah-sammanställningen till IVO",
        [
            (
                date(2011, 7, 1),
                f"14 kap. 3–7 §§ {OLD_SOL}, 24 a–24 g §§ LSS och Socialstyrelsens "
                "föreskrifter och allmänna råd (SOSFS 2011:5) om lex Sarah",
            ),
            (
                date(2025, 7, 1),
                f"{NEW_SOL} om rapportering av missförhållanden och påtaglig risk "
                "för missförhållanden, 24 a–24 g §§ LSS och SOSFS 2011:5",
            ),
        ],
    ),
    "sosfs_2011_5": (
        "Socialstyrelsens föreskrifter om lex Sarah",
        [
            (date(2011, 7, 1), "SOSFS 2011:5"),
        ],
    ),
    "sosfs_2011_9": (
        "Ledningssystem för systematiskt kvalitetsarbete",
        [
            (date(2012, 1, 1), "SOSFS 2011:9"),
            (date(2024, 1, 1), "SOSFS 2011:9 (ändrad genom HSLF-FS 2023:27)"),
        ],
    ),
    "sosfs_2011_9_berattelse": (
        "Kvalitetsberättelsen i SOSFS 2011:9",
        [
            (date(2012, 1, 1), "SOSFS 2011:9, 7 kap. 1 §"),
            (date(2024, 1, 1), "SOSFS 2011:9 (ändrad genom HSLF-FS 2023:27), 7 kap. 1 §"),
        ],
    ),
    "psl": ("Patientsäkerhetslagen", [(date(2011, 1, 1), PSL)]),
    "psl_lex_maria": ("Lex Maria: anmälan till IVO", [(date(2011, 1, 1), f"3 kap. 5 § {PSL}")]),
    "psl_information": (
        "Information till patienten efter en vårdskada",
        [
            (date(2011, 1, 1), f"3 kap. 8 § {PSL}"),
        ],
    ),
    "psl_berattelse": ("Patientsäkerhetsberättelsen", [(date(2011, 1, 1), f"3 kap. 10 § {PSL}")]),
    "hslf_2017_40": (
        "Socialstyrelsens föreskrifter om lex Maria",
        [
            (date(2018, 1, 1), "HSLF-FS 2017:40"),
        ],
    ),
    "hslf_2016_40": (
        "Journalföring och behandling av personuppgifter i hälso- och sjukvården",
        [
            (date(2017, 3, 1), "HSLF-FS 2016:40"),
        ],
    ),
    "osl_sekretess": (
        "Sekretess inom socialtjänsten",
        [
            (date(2009, 6, 30), "26 kap. 1 § offentlighets- och sekretesslagen (2009:400)"),
        ],
    ),
}


def _day(on_date: date | datetime | None) -> date:
    if on_date is None:
        return clock.today()
    if isinstance(on_date, datetime):
        local = clock.to_local(on_date)
        assert local is not None
        return local.date()
    return on_date


def _from_code(key: str, day: date) -> str:
    rows = REFERENCES[key][1]
    applying = [text for valid_from, text in rows if valid_from <= day]
    return applying[-1] if applying else rows[0][1]


def _read_table() -> dict[str, list[tuple[date, str]]]:
    table: dict[str, list[tuple[date, str]]] = {}
    every = select(Lagrum.key, Lagrum.valid_from, Lagrum.text).order_by(Lagrum.valid_from)
    for k, valid_from, text in db.session.execute(every):
        table.setdefault(k, []).append((valid_from, text))
    return table


def _stored_rows(key: str) -> list[tuple[date, str]]:
    """The stored wordings of `key`, oldest first. The whole table is read at once (a page
    asks for several keys, the footer for one more; the table holds a few dozen rows) and
    kept by the process until a write to it (core.refcache), or, when that may not keep it,
    for the request until a flush changes a lagrum row (core.memo)."""
    if not has_app_context():
        return []
    if not has_request_context():
        query = select(Lagrum.valid_from, Lagrum.text).where(Lagrum.key == key)
        return [(f, t) for f, t in db.session.execute(query.order_by(Lagrum.valid_from))]
    table = refcache.kept("lagrum", _read_table)
    if table is None:
        table = remembered("_lagrum_rows", Lagrum, _read_table)
    return list(table.get(key, []))


def lagrum(key: str, on_date: date | datetime | None = None) -> str:
    """The wording of reference `key` that applied on `on_date` (default today). Before the
    first row's date the earliest wording is used. An unknown key is a programming error
    (KeyError) unless an administrator has added rows for it."""
    day = _day(on_date)
    rows = _stored_rows(key)
    if rows:
        applying = [t for valid_from, t in rows if valid_from <= day]
        return applying[-1] if applying else rows[0][1]
    return _from_code(key, day)


def keys() -> list[str]:
    """Every known key: the built-in ones and any an administrator added."""
    stored = db.session.scalars(select(Lagrum.key).distinct()).all()
    return sorted(set(REFERENCES) | set(stored))

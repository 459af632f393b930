"""Demo data: the example förvaltning of DOMAIN.md §2, one user per role, and (from each kind
module's demo.py) a realistic spread of items over two quality years."""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.modules import MODULES
from kvalitet.org.models import Unit, UnitKind, User
from kvalitet.org.operations import (
    check_password_rules,
    create_unit,
    create_user,
    grant_role,
    hash_password,
)

DEMO_PASSWORD = "Demo-losen-2026"  # noqa: S105 the documented password of demo accounts only

TREE: dict[str, list[str]] = {
    "Avdelning Barn och unga": [
        "Mottagningsenhet BoU",
        "Utredningsenhet 1",
        "Utredningsenhet 2",
        "Resursenhet öppenvård",
        "Familjehemsenheten",
    ],
    "Avdelning Vuxen och försörjningsstöd": [
        "Mottag Vuxen",
        "Försörjningsstöd 1",
        "Försörjningsstöd 2",
        "Utredningsenhet vuxen",
    ],
    "Avdelning Stadsövergripande verksamheter": [
        "Socialjouren",
        "Etableringsenheten",
        "Förvaltarenheten",
    ],
}

# (key, name, e-mail, title, role, unit name, home unit name)
DEMO_USERS = [
    ("admin", "Ada Admin", "admin@demo.kvalitet.se", "Systemförvaltare", Role.ADMIN,
     "Socialnämnd Centrum", "Socialförvaltning Centrum"),
    ("kvalitet", "Karin Kvalitetsson", "kvalitet@demo.kvalitet.se", "Kvalitetsutvecklare",
     Role.KVALITETSUTVECKLARE, "Socialförvaltning Centrum", "Socialförvaltning Centrum"),
    ("avdchef", "Anders Avdelningschef", "avdchef.bou@demo.kvalitet.se",
     "Avdelningschef Barn och unga", Role.AVDELNINGSCHEF, "Avdelning Barn och unga",
     "Avdelning Barn och unga"),
    ("chef", "Eva Enhetschef", "chef.utr1@demo.kvalitet.se", "Enhetschef", Role.ENHETSCHEF,
     "Utredningsenhet 1", "Utredningsenhet 1"),
    ("chef2", "Erik Enhetschef", "chef.utr2@demo.kvalitet.se", "Enhetschef", Role.ENHETSCHEF,
     "Utredningsenhet 2", "Utredningsenhet 2"),
    ("medarbetare", "Maja Medarbetare", "medarbetare@demo.kvalitet.se", "Socialsekreterare",
     Role.MEDARBETARE, "Utredningsenhet 1", "Utredningsenhet 1"),
    ("sas", "Sara SAS", "sas@demo.kvalitet.se", "Socialt ansvarig samordnare", Role.SAS,
     "Socialförvaltning Centrum", "Socialförvaltning Centrum"),
    ("mas", "Mats MAS", "mas@demo.kvalitet.se", "Medicinskt ansvarig sjuksköterska", Role.MAS,
     "Socialförvaltning Centrum", "Socialförvaltning Centrum"),
    ("registrator", "Rut Registrator", "registrator@demo.kvalitet.se", "Registrator",
     Role.REGISTRATOR, "Socialförvaltning Centrum", "Socialförvaltning Centrum"),
    ("lasare", "Lars Läsare", "lasare@demo.kvalitet.se", "Ledamot, socialnämnden", Role.LASARE,
     "Socialnämnd Centrum", "Socialnämnd Centrum"),
]  # fmt: skip


@dataclass
class DemoContext:
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # Chef (enhetschef) and a few medarbetare per enhet, by unit name.
    chefs: dict[str, User] = field(default_factory=dict)
    staff: dict[str, list[User]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(20260901))  # noqa: S311 repeatable demo data, not security
    today: date = field(default_factory=clock.today)
    # The argon2 hash of DEMO_PASSWORD, made once and shared by every demo account (see
    # demo_user): hashing it per account took most of the demo load. DEMO ONLY: real
    # accounts get a hash of their own, salted per account.
    password_hash: str = ""

    def demo_user(self, **fields: Any) -> User:
        """create_user for a demo account with the shared demo password hash."""
        if not self.password_hash:
            check_password_rules(DEMO_PASSWORD)
            self.password_hash = hash_password(DEMO_PASSWORD)
        return create_user(None, password_hash=self.password_hash, is_demo=True, **fields)

    @property
    def enheter(self) -> list[Unit]:
        return [u for u in self.units.values() if u.kind == UnitKind.ENHET]

    @property
    def avdelningar(self) -> list[Unit]:
        return [u for u in self.units.values() if u.kind == UnitKind.AVDELNING]


def database_state() -> str:
    """'empty', 'demo' or 'real' (holds users that are not demo users)."""
    total = db.session.scalar(select(func.count(User.id))) or 0
    if total == 0:
        return "empty"
    real = db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(False))) or 0
    return "real" if real else "demo"


def _slug(name: str) -> str:
    table = str.maketrans("åäöÅÄÖ ", "aaoAAO.")
    return name.translate(table).lower()


def demo_modules() -> list[str]:
    """The modules that seed demo data (have a demo.py), in load order."""
    return [n for n in MODULES if importlib.util.find_spec(f"kvalitet.{n}.demo") is not None]


def build(
    ctx: DemoContext | None = None, progress: Callable[[int, int, str], None] | None = None
) -> DemoContext:
    """Load the demo. `progress(step, steps, label)` is told before each step (the
    organisation, then each module's items), for `flask demo` to show how far it is."""
    ctx = ctx or DemoContext()
    modules = demo_modules()
    steps = len(modules) + 1
    if progress:
        progress(1, steps, "förvaltning och användare")
    namnd = create_unit(None, "Socialnämnd Centrum", UnitKind.NAMND, None)
    forv = create_unit(None, "Socialförvaltning Centrum", UnitKind.FORVALTNING, namnd)
    ctx.units = {namnd.name: namnd, forv.name: forv}
    for avd_name, enheter in TREE.items():
        avd = create_unit(None, avd_name, UnitKind.AVDELNING, forv)
        ctx.units[avd_name] = avd
        for name in enheter:
            ctx.units[name] = create_unit(None, name, UnitKind.ENHET, avd, public=True)
    for key, name, email, title, role, unit_name, home in DEMO_USERS:
        user = ctx.demo_user(name=name, email=email, title=title, home_unit=ctx.units[home])
        grant_role(None, user, role, ctx.units[unit_name])
        ctx.users[key] = user
    ctx.chefs["Utredningsenhet 1"] = ctx.users["chef"]
    ctx.chefs["Utredningsenhet 2"] = ctx.users["chef2"]
    ctx.staff["Utredningsenhet 1"] = [ctx.users["medarbetare"]]
    # Chefs of the other avdelningar and enheter, and two more staff per enhet.
    first_names = [
        "Alva",
        "Bo",
        "Cecilia",
        "David",
        "Elin",
        "Fredrik",
        "Greta",
        "Hassan",
        "Ida",
        "Jonas",
        "Karin",
        "Leo",
        "Mona",
        "Nils",
        "Olivia",
        "Per",
        "Rana",
        "Sven",
        "Tove",
        "Ulf",
        "Vera",
        "Yusuf",
        "Zara",
        "Amir",
        "Britt",
        "Carl",
        "Dana",
    ]
    names = iter(first_names * 3)
    for avd in ctx.avdelningar:
        if avd.name == "Avdelning Barn och unga":
            continue
        first = next(names)
        user = ctx.demo_user(
            name=f"{first} Avdelningschef",
            email=f"avdchef.{_slug(avd.name)}@demo.kvalitet.se",
            title=f"Avdelningschef {avd.name.removeprefix('Avdelning ')}",
            home_unit=avd,
        )
        grant_role(None, user, Role.AVDELNINGSCHEF, avd)
    for enhet in ctx.enheter:
        if enhet.name not in ctx.chefs:
            first = next(names)
            chef = ctx.demo_user(
                name=f"{first} Chef", email=f"chef.{_slug(enhet.name)}@demo.kvalitet.se",
                title="Enhetschef", home_unit=enhet,
            )  # fmt: skip
            grant_role(None, chef, Role.ENHETSCHEF, enhet)
            ctx.chefs[enhet.name] = chef
        staff = ctx.staff.setdefault(enhet.name, [])
        for n in range(2):
            first = next(names)
            person = ctx.demo_user(
                name=f"{first} {enhet.name.split()[0]}",
                email=f"{_slug(first)}.{n}.{_slug(enhet.name)}@demo.kvalitet.se",
                title="Socialsekreterare", home_unit=enhet,
            )  # fmt: skip
            grant_role(None, person, Role.MEDARBETARE, enhet)
            staff.append(person)
    db.session.flush()
    for step, name in enumerate(modules, start=2):
        if progress:
            progress(step, steps, name)
        importlib.import_module(f"kvalitet.{name}.demo").seed(ctx)
        db.session.flush()
    return ctx


def seed_reference_data() -> None:
    """Lists every installation starts with (idempotent): quality areas and each module's
    reference.py `seed()`."""

    if not db.session.scalar(select(func.count(QualityArea.id))):
        for order, (name, text) in enumerate(QUALITY_AREAS, start=1):
            db.session.add(QualityArea(name=name, description=text, sort_order=order))
    for name in MODULES:
        module_name = f"kvalitet.{name}.reference"
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).seed()
    db.session.flush()


def seed_list(list_key: str, labels: list[str]) -> None:
    """Seed a configurable list once (does nothing if the list has entries)."""

    if db.session.scalar(select(func.count(ListEntry.id)).where(ListEntry.list_key == list_key)):
        return
    for order, label in enumerate(labels, start=1):
        db.session.add(ListEntry(list_key=list_key, label=label, sort_order=order))


QUALITY_AREAS = [
    ("Kunskapsbaserad verksamhet",
     "Vetenskap och beprövad erfarenhet; den enskildes erfarenheter tas till vara."),
    ("Självbestämmande och integritet",
     "Den enskilde är delaktig, har inflytande och kan göra val."),
    ("Helhetssyn och samordning",
     "Hela livssituationen; insatser samordnas; tydligt ansvar; kontinuitet."),
    ("Trygghet och säkerhet",
     "Regler följs; verksamheten är transparent; övergrepp, försummelse och skada förebyggs."),
    ("Tillgänglighet", "Lätt att nå, hjälp inom rimlig tid, begriplig information."),
    ("Effektivitet", "Resurserna används på bästa sätt för att nå målen."),
    ("Jämlik", "Insatser ges och fördelas på lika villkor för alla."),
]  # fmt: skip

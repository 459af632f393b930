"""`flask --app kvalitet ...` commands for setting up and running an installation."""

from __future__ import annotations

import functools
import getpass
import sys
import time
from typing import Any

import click
from flask import Flask, current_app

from kvalitet.core import migrations, summary_cli, uow
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import Role
from kvalitet.demo import DEMO_PASSWORD, DEMO_USERS, build, database_state, seed_reference_data
from kvalitet.extensions import db
from kvalitet.org.models import Unit, UnitKind
from kvalitet.org.operations import create_unit, create_user, grant_role

# Commands that manage their own units of work: the scheduler runs each job as one unit.
OWN_UNITS = {"scheduler", "db-revision", "check-migrations"}


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_db)
    app.cli.add_command(make_revision)
    app.cli.add_command(check_migrations)
    app.cli.add_command(demo)
    app.cli.add_command(demo_info)
    app.cli.add_command(create_admin)
    summary_cli.register(app)
    for name, command in app.cli.commands.items():
        if name not in OWN_UNITS:
            as_unit_of_work(command)


def as_unit_of_work(command: click.Command) -> None:
    """Run the command (and a group's subcommands) as one unit of work: committed once at
    the end, rolled back if it fails."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            as_unit_of_work(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, "_kvalitet_unit", False):
        return

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        with uow.unit_of_work():
            return callback(*args, **kwargs)

    run._kvalitet_unit = True  # type: ignore[attr-defined]
    command.callback = run


@click.command("migrate-db")
def migrate_db() -> None:
    """Bring the database to the newest schema and seed reference lists."""

    migrations.upgrade()
    seed_reference_data()
    click.echo("Databasen är uppdaterad.")


@click.command("db-revision")
@click.argument("message")
def make_revision(message: str) -> None:
    """(Developers) autogenerate a migration from the models."""

    migrations.revision(message)


@click.command("check-migrations")
def check_migrations() -> None:
    """Exit 1 if the models and the migrated database differ."""

    diff = migrations.drift()
    for entry in diff:
        click.echo(repr(entry))
    sys.exit(1 if diff else 0)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if demo data is already loaded.")
def demo(if_empty: bool) -> None:
    """Load the demo förvaltning, users and items (refuses on a database with real data)."""

    state = database_state()
    if state == "real":
        click.echo("Databasen innehåller riktiga uppgifter; demodata laddas inte.", err=True)
        sys.exit(0 if if_empty else 1)
    if state == "demo":
        if if_empty:
            click.echo("Demodata finns redan.")
            return
        click.echo("Demodata finns redan. Ta bort databasfilen för att börja om.", err=True)
        sys.exit(1)
    started = time.monotonic()

    def progress(step: int, steps: int, label: str) -> None:
        click.echo(f"  [{step}/{steps}] {label} ({time.monotonic() - started:.0f} s)")

    click.echo("Läser in demodata (tar en stund på en ny maskin):")
    build(progress=progress)
    click.echo(f"Demodata är inläst ({time.monotonic() - started:.0f} s).")


@click.command("demo-info")
def demo_info() -> None:
    """Print where to log in and as whom."""

    click.echo("")
    click.echo("Kvalitet startar på http://127.0.0.1:5000")
    if database_state() != "demo":
        click.echo("")
        return
    click.echo(f"Demoanvändare (lösenord för alla: {DEMO_PASSWORD}):")
    for _key, name, email, _title, role, unit, _home in DEMO_USERS:
        click.echo(f"  {email:<34} {role.label} vid {unit} ({name})")
    click.echo("")


@click.command("create-admin")
@click.option("--email", prompt="E-postadress")
@click.option("--name", prompt="Namn")
def create_admin(email: str, name: str) -> None:
    """Create the first administrator (and the top unit if there is none)."""
    from sqlalchemy import select

    password = getpass.getpass("Lösenord: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        top = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        if top is None:
            top = create_unit(None, current_app.config["ORGANISATION_NAME"], UnitKind.NAMND, None)
        user = create_user(None, name=name, email=email, password=password, home_unit=top)
        grant_role(None, user, Role.ADMIN, top)
    except OperationError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(f"Administratören {email} är skapad vid {top.name}.")

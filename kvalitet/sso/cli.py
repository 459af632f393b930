"""`flask --app kvalitet sso-deactivate --days N`: staff who left stop showing up."""

from __future__ import annotations

import click
from flask import Flask

from kvalitet.core.uow import unit_of_work
from kvalitet.sso import operations


def register(app: Flask) -> None:
    app.cli.add_command(deactivate)


@click.command("sso-deactivate")
@click.option("--days", type=int, default=90, show_default=True)
def deactivate(days: int) -> None:
    """Deactivate provider-only accounts not seen at the identity provider for DAYS days."""
    with unit_of_work():
        users = operations.deactivate_stale(days)
    for user in users:
        click.echo(f"Avaktiverad: {user.name} <{user.email}>")
    click.echo(f"{len(users)} konton avaktiverade.")

from __future__ import annotations

import click
from flask import Flask

from kvalitet.lexsarah.operations import send_reminders


def register(app: Flask) -> None:
    @app.cli.command("lexsarah-paminnelser")
    @click.option("--dagar", default=7, help="Påminn så här många dagar före tidsgränsen.")
    def reminders(dagar: int) -> None:
        """Påminn SAS om utredningar som ska nå IVO (säker att köra flera gånger)."""

        click.echo(f"{send_reminders(days_before=dagar)} påminnelser skapade.")

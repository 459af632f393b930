from __future__ import annotations

import click
from flask import Flask

from kvalitet.search import index


def register(app: Flask) -> None:
    @app.cli.command("search-rebuild")
    def rebuild() -> None:
        """Bygg om sökindexet för alla ärenden (säker att köra flera gånger)."""
        click.echo(f"{index.rebuild()} ärenden indexerade.")

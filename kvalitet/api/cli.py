"""`flask --app kvalitet token create <e-mail>`: create a personal API token for a user and
print it (for integrations and scripts)."""

from __future__ import annotations

import click
from flask import Flask

from kvalitet.api.models import ApiToken
from kvalitet.api.tokens import create_token, revoke_token
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.org.operations import find_user_by_email


def register(app: Flask) -> None:
    @app.cli.group("token")
    def token_group() -> None:
        """Personliga API-nycklar."""

    @token_group.command("create")
    @click.argument("email")
    @click.option("--name", default="Skapad från kommandoraden", help="Nyckelns namn")
    @click.option("--days", default=None, type=int, help="Giltig i antal dagar")
    def create(email: str, name: str, days: int | None) -> None:
        """Skapa en API-nyckel för användaren med e-postadressen EMAIL och skriv ut den."""

        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"Ingen användare med e-post {email}.")
        try:
            row, token = create_token(None, user, name=name, days=days)
        except OperationError as error:
            raise click.ClickException(error.message) from None
        click.echo(token)
        click.echo(f"Giltig till {row.expires_at:%Y-%m-%d} (UTC). Nyckeln visas bara nu.", err=True)

    @token_group.command("revoke")
    @click.argument("prefix")
    def revoke(prefix: str) -> None:
        """Återkalla API-nycklar vars början är PREFIX (t.ex. kv_AbC123)."""
        from sqlalchemy import select

        rows = db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).all()
        if not rows:
            raise click.ClickException("Ingen nyckel med den början.")
        for row in rows:
            revoke_token(None, row)
        click.echo(f"Återkallade {len(rows)} nyckel/nycklar.")

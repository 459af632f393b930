"""`flask --app kvalitet scheduler`: the scheduler process."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app

from kvalitet.arshjul.scheduler import release_lease, run_all_once, run_forever


def register(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Kör varje jobb en gång och avsluta.")
    @click.option(
        "--no-lease", is_flag=True, help="Hoppa över låset (bara för test av dubbelkörning)."
    )
    def scheduler_command(once: bool, no_lease: bool) -> None:
        """Kör schemalagda jobb (påminnelser, årshjul, utskick) i en egen process."""

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        flask_app = current_app._get_current_object()  # type: ignore[attr-defined]
        if once:
            results = run_all_once(flask_app, use_lease=not no_lease)
            if not no_lease and any(results.values()):
                with flask_app.app_context():
                    release_lease()
            for job_id, ran in results.items():
                click.echo(f"{job_id}: {'kördes' if ran else 'kördes inte'}")
            return
        run_forever(flask_app)

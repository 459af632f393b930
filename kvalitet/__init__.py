"""Kvalitet: systematiskt kvalitetsarbete enligt SOSFS 2011:9."""

from __future__ import annotations

import importlib
import importlib.util
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from kvalitet.config import Defaults, env_overrides


def _database_uri(app: Flask | dict[str, Any]) -> str:
    config = app if isinstance(app, dict) else app.config
    url = str(config.get("DATABASE_URL") or "")
    if not url:
        assert isinstance(app, Flask)
        return "sqlite:///" + os.path.join(app.instance_path, "kvalitet.sqlite")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(app: Flask) -> str:
    key = str(app.config.get("SECRET_KEY") or "")
    if key:
        return key
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    # The factory imports the application's parts when it builds the app: importing one
    # submodule (kvalitet.core.clock in a script, a migration) must not load the whole app.
    from kvalitet.web import KvalitetFlask

    root = Path(__file__).resolve().parent.parent
    app = KvalitetFlask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("KVALITET_INSTANCE_PATH") or str(root / "instance"),
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides())
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)
    if app.config.get("READ_REPLICA_DATABASE_URL"):
        # Statistics, exports and the report compile read from it (kvalitet.extensions).
        replica = _database_uri({"DATABASE_URL": app.config["READ_REPLICA_DATABASE_URL"]})
        app.config["SQLALCHEMY_BINDS"] = {"replica": replica}
    app.config["SECRET_KEY"] = _secret_key(app)

    from kvalitet.core import db_setup

    db_setup.configure_engine_options(app)

    from kvalitet.extensions import csrf, db, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    with app.app_context():
        db_setup.install_engine_events(db.engine)

    from kvalitet.core import audit, pii

    pii.install_guard()
    audit.install_guard()

    from kvalitet.modules import MODULES

    for name in MODULES:
        _load_module(app, name)

    from kvalitet import cli, web

    web.init_app(app)
    cli.init_app(app)

    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        # Behind nginx or a load balancer: take the client address and scheme from the
        # X-Forwarded-* headers set by that many trusted proxies (rate limits need it).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def _load_module(app: Flask, name: str) -> None:
    base = f"kvalitet.{name}"
    for part in ("models", "kinds", "stats"):
        if importlib.util.find_spec(f"{base}.{part}") is not None:
            importlib.import_module(f"{base}.{part}")
    if importlib.util.find_spec(f"{base}.views") is not None:
        views = importlib.import_module(f"{base}.views")
        bp = getattr(views, "bp", None)
        if bp is not None and bp.name not in app.blueprints:
            app.register_blueprint(bp)
    if importlib.util.find_spec(f"{base}.cli") is not None:
        module_cli = importlib.import_module(f"{base}.cli")
        register = getattr(module_cli, "register", None)
        if register is not None:
            register(app)

import pytest
from sqlalchemy import text

from kvalitet.config import env_overrides
from kvalitet.extensions import db


def test_env_overrides_parse_json_values():
    values = env_overrides(
        {"KVALITET_PAGE_SIZE": "50", "KVALITET_SESSION_COOKIE_SECURE": "true",
         "KVALITET_DATABASE_URL": "postgresql://u@h/db", "OTHER": "x",
         "KVALITET_ATTACHMENT_EXTENSIONS": '["pdf"]'}
    )  # fmt: skip
    assert values == {
        "PAGE_SIZE": 50,
        "SESSION_COOKIE_SECURE": True,
        "DATABASE_URL": "postgresql://u@h/db",
        "ATTACHMENT_EXTENSIONS": ["pdf"],
    }


def test_layers_env_beats_instance_config(tmp_path, monkeypatch):
    from kvalitet import create_app

    (tmp_path / "config.py").write_text('ORGANISATION_NAME = "Från instance"\nPAGE_SIZE = 10\n')
    monkeypatch.setenv("KVALITET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("KVALITET_PAGE_SIZE", "40")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["ORGANISATION_NAME"] == "Från instance"
    assert app.config["PAGE_SIZE"] == 40
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert (tmp_path / "secret_key").exists()


def test_postgres_url_uses_psycopg3(tmp_path, monkeypatch):
    from kvalitet import create_app

    monkeypatch.setenv("KVALITET_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": "postgresql://u:p@127.0.0.1/kv"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_proxy_fix_gives_client_address(tmp_path, monkeypatch):
    from flask import request

    from kvalitet import create_app

    monkeypatch.setenv("KVALITET_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "PROXY_COUNT": 1})

    @app.route("/ip")
    def ip():
        return request.remote_addr or ""

    response = app.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


# Each setting's reason is in docs/deployment.md §2: JIT compiling cost the statistics and big
# lists more than running them at 1,000,000 items; a Gather in a list's plan started two more
# server processes per statement on a server the other requests keep busy; a generic plan of
# a prepared statement (after ten runs on a connection) ignored the policy's values.
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jit", "off"),
        ("max_parallel_workers_per_gather", "0"),
        ("plan_cache_mode", "force_custom_plan"),
    ],
)
def test_postgresql_connections_set_what_the_app_asks_for(app, name, value):
    """Every connection of the app sets it, whatever the server's setting ("client": the
    connection asked for it)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(f"{name} is PostgreSQL's")
    setting, source = db.session.execute(
        text("SELECT setting, source FROM pg_settings WHERE name = :name"), {"name": name}
    ).one()
    assert (setting, source) == (value, "client")

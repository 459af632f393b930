"""Shared fixtures.

Each test gets its own real database: a copy of a template built once per test session
(SQLite: a file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE). Set
KVALITET_TEST_DATABASE_URL=postgresql://user@host/postgres to run the suite on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kvalitet import create_app
from kvalitet.core import clock
from kvalitet.extensions import db

PG_URL = os.environ.get("KVALITET_TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_counter = itertools.count()

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_MIN_LENGTH": 8,
    "RATELIMIT_ENABLED": True,
    "MAIL_SERVER": "",
    "SERVER_NAME": None,
    # Real argon2id, with cheap parameters so that the suite stays fast.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
}

PASSWORD = "test-losen-123"


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return (
        make_url(PG_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def _build_schema(database_url: str, instance: Path) -> None:
    app = create_app({**BASE_CONFIG, "DATABASE_URL": database_url, "INSTANCE": str(instance)})
    with app.app_context():
        db.create_all()
        from kvalitet.demo import seed_reference_data

        seed_reference_data()
        db.session.commit()
        db.engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first: pytest-xdist hands tests out in this order, and a
    test of several minutes handed out last keeps one worker busy after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a template database with the schema and reference lists."""
    instance = tmp_path_factory.mktemp("instance-template")
    os.environ["KVALITET_INSTANCE_PATH"] = str(instance)
    if PG_URL:
        name = f"kvtest_tpl_{WORKER}_{os.getpid()}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _build_schema(_pg_url(name), instance)
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = instance / "template.sqlite"
        _build_schema(f"sqlite:///{path}", instance)
        yield str(path)


def new_database(template_db: str, directory: Path) -> tuple[str, Any]:
    """A fresh database copied from the template: (url, cleanup function)."""
    if PG_URL:
        name = f"kvtest_{WORKER}_{os.getpid()}_{next(_counter)}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return _pg_url(name), drop
    target = directory / f"test-{next(_counter)}.sqlite"
    shutil.copyfile(template_db, target)
    return f"sqlite:///{target}", lambda: None


@pytest.fixture
def app(template_db: str, tmp_path: Path) -> Iterator[Flask]:
    url, cleanup = new_database(template_db, tmp_path)
    instance = tmp_path / "instance"
    instance.mkdir()
    os.environ["KVALITET_INSTANCE_PATH"] = str(instance)
    application = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        cleanup()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.freeze(None)


@pytest.fixture(autouse=True)
def _reset_limiter() -> Iterator[None]:
    from kvalitet.extensions import limiter

    yield
    with contextlib.suppress(Exception):
        limiter.reset()


# --- organisation and users ---------------------------------------------------------------


@dataclass
class Org:
    """A small organisation for tests:

    Nämnd > Förvaltning > Avdelning A (Enhet A1, Enhet A2), Avdelning B (Enhet B1).
    """

    namnd: Any
    forv: Any
    avd_a: Any
    a1: Any
    a2: Any
    avd_b: Any
    b1: Any
    admin: Any
    kvalitet: Any
    avdchef_a: Any
    chef_a1: Any
    chef_a2: Any
    chef_b1: Any
    med_a1: Any
    med_a2: Any
    sas: Any
    mas: Any
    registrator: Any
    lasare: Any


def make_user(name: str, role: str | None, unit: Any, email: str | None = None, **kw: Any) -> Any:
    from kvalitet.org.operations import create_user, grant_role

    email = email or re.sub(r"[^a-z0-9]+", ".", name.lower()) + "@test.se"
    user = create_user(None, name=name, email=email, password=PASSWORD, home_unit=unit,
                       title=kw.pop("title", "Titel"))  # fmt: skip
    if role:
        grant_role(None, user, role, unit)
    db.session.commit()
    return user


@pytest.fixture
def org(app: Flask) -> Org:
    from kvalitet.core.roles import Role
    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit

    namnd = create_unit(None, "Nämnd", UnitKind.NAMND, None)
    forv = create_unit(None, "Förvaltning", UnitKind.FORVALTNING, namnd)
    avd_a = create_unit(None, "Avdelning A", UnitKind.AVDELNING, forv)
    a1 = create_unit(None, "Enhet A1", UnitKind.ENHET, avd_a, public=True)
    a2 = create_unit(None, "Enhet A2", UnitKind.ENHET, avd_a, public=True)
    avd_b = create_unit(None, "Avdelning B", UnitKind.AVDELNING, forv)
    b1 = create_unit(None, "Enhet B1", UnitKind.ENHET, avd_b, public=True)
    db.session.commit()
    return Org(
        namnd=namnd, forv=forv, avd_a=avd_a, a1=a1, a2=a2, avd_b=avd_b, b1=b1,
        admin=make_user("Admin Adminsson", Role.ADMIN, namnd),
        kvalitet=make_user("Kvalitet Utvecklare", Role.KVALITETSUTVECKLARE, forv),
        avdchef_a=make_user("Avd Chef A", Role.AVDELNINGSCHEF, avd_a),
        chef_a1=make_user("Chef A1", Role.ENHETSCHEF, a1),
        chef_a2=make_user("Chef A2", Role.ENHETSCHEF, a2),
        chef_b1=make_user("Chef B1", Role.ENHETSCHEF, b1),
        med_a1=make_user("Med A1", Role.MEDARBETARE, a1),
        med_a2=make_user("Med A2", Role.MEDARBETARE, a2),
        sas=make_user("Sas Samordnare", Role.SAS, forv),
        mas=make_user("Mas Sjukskoterska", Role.MAS, forv),
        registrator=make_user("Reg Registrator", Role.REGISTRATOR, forv),
        lasare=make_user("Las Lasare", Role.LASARE, namnd),
    )  # fmt: skip


# --- web clients --------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Client:
    """A test client that behaves like a browser: it carries the CSRF token from pages."""

    def __init__(self, client: FlaskClient):
        self.raw = client

    @staticmethod
    def _fresh_request_globals() -> None:
        # The test keeps an app context pushed, and Flask reuses it for test requests, so
        # per-request caches in `g` (the logged-in user, the CSRF token, permission caches)
        # would leak from one client to the next. A real server starts each request afresh.
        # What the test did before this request (fixtures, direct operation calls) is a unit
        # of its own: commit it, as the boundary that ran it would have.
        from flask import g, has_app_context

        if has_app_context():
            vars(g).clear()
            db.session.commit()

    def open(self, method: str, url: str, **kw: Any) -> Any:
        self._fresh_request_globals()
        return self.raw.open(url, method=method, **kw)

    def get(self, url: str, **kw: Any) -> Any:
        return self.open("GET", url, **kw)

    def token(self, url: str = "/konto") -> str:
        page = self.get(url)
        if page.status_code != 200:
            page = self.get("/logga-in")
        match = _CSRF.search(page.get_data(as_text=True))
        assert match, "no csrf token on the page"
        return match.group(1) or match.group(2)

    def post(
        self, url: str, data: dict[str, Any] | None = None, csrf: bool = True, **kw: Any
    ) -> Any:
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.token()
        return self.open("POST", url, data=data, **kw)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.post("/logga-in", {"email": email, "password": password})


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def login_as(app: Flask):  # type: ignore[no-untyped-def]
    """login_as(user) -> a Client logged in as that user."""

    def _login(user: Any) -> Client:
        c = Client(app.test_client())
        response = c.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return _login


# --- live server and browser ---------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free port, in a thread."""
    from werkzeug.serving import make_server

    app.config["WTF_CSRF_SSL_STRICT"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


CHROMIUM = os.environ.get("KVALITET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium saknas ({CHROMIUM}); kör `make test` som installerar det.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()


@pytest.fixture
def phone_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone-sized browser window (iPhone 12-like viewport, touch)."""
    context = browser.new_context(
        locale="sv-SE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()


def browser_login(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    # The test's setup is a unit of its own: commit it, so that the live server (its own
    # sessions, in other threads) sees it and is not kept waiting on the write lock.
    db.session.commit()
    page.goto(f"{base_url}/logga-in")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base_url}/")

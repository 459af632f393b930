"""What the statistics, scheduler and export benchmarks share: a generated city in a fresh
database (SQLite, or KVALITET_BENCH_DATABASE_URL), users who log in like a browser, and
p50/p95 figures."""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.__main__ import database
from bench.rapport_times import PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@contextmanager
def city(items: int) -> Iterator[dict[str, Any]]:
    """`items` items in quality year 2025/26 and half as many the year before, and users:
    the kvalitetsutvecklare, an enhetschef of the first enhet and a SAS at the förvaltning."""
    from sqlalchemy import text

    from bench.generate import generate
    from bench.rapport_times import build_org
    from kvalitet import create_app
    from kvalitet.core.periods import quality_year
    from kvalitet.core.roles import Role
    from kvalitet.demo import seed_reference_data
    from kvalitet.extensions import db
    from kvalitet.org.operations import create_user, grant_role

    with database() as url, tempfile.TemporaryDirectory() as instance:
        os.environ["KVALITET_INSTANCE_PATH"] = instance
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": False,
                          "SERVER_NAME": None, "RATELIMIT_ENABLED": False,
                          "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                          "ARGON2_PARALLELISM": 1})  # fmt: skip
        with app.app_context():
            db.create_all()
            seed_reference_data()
            forv, enheter, kvu = build_org()
            chef = create_user(None, name="Bench Enhetschef", email="chef@example.se",
                               password=PASSWORD, home_unit=enheter[0])  # fmt: skip
            grant_role(None, chef, Role.ENHETSCHEF, enheter[0])
            sas = create_user(None, name="Bench SAS", email="sas@example.se",
                              password=PASSWORD, home_unit=forv)  # fmt: skip
            grant_role(None, sas, Role.SAS, forv)
            db.session.commit()
            year = quality_year(2025)
            started = time.perf_counter()
            generate(items, year, forv, enheter, seed=1)
            generate(items // 2, year.previous_year(), forv, enheter, seed=2)
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            yield {"app": app, "url": url, "forv": forv, "enheter": enheter, "year": year,
                   "users": {"enhetschef": chef, "kvalitetsutvecklare": kvu, "sas": sas},
                   "generated_s": time.perf_counter() - started,
                   "engine": db.engine.dialect.name}  # fmt: skip
            db.session.remove()
            db.engine.dispose()


class Browser:
    """A test client that starts each request afresh: the benchmark keeps an app context
    pushed, which Flask reuses for test requests, so `g` (the logged-in user, permission
    caches) is cleared and the session's read transaction ended before each request."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _fresh(self) -> None:
        from flask import g

        from kvalitet.extensions import db

        vars(g).clear()
        db.session.commit()

    def get(self, url: str, **kw: Any) -> Any:
        self._fresh()
        return self.client.get(url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        self._fresh()
        return self.client.post(url, **kw)


def login(app: Any, email: str, password: str = PASSWORD) -> Browser:
    """A client logged in through the login form, as a browser would."""
    client = Browser(app.test_client())
    page = client.get("/logga-in").get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "no csrf token on the login page"
    token = match.group(1) or match.group(2)
    answer = client.post("/logga-in", data={"email": email, "password": password,
                                            "csrf_token": token})  # fmt: skip
    assert answer.status_code == 302, answer.status_code
    return client


def timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def load() -> str:
    return os.popen("uptime").read().strip()  # noqa: S605 S607 the machine's load, for the record

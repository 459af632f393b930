"""Past one machine: rate limits kept in Redis are shared by two app instances (a real
redis-server started here on a free port), and with READ_REPLICA_DATABASE_URL set the
statistics, exports and report compile read from the replica while writes stay on the
primary."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bench.generate import generate
from bench.rapport_times import build_org
from kvalitet import create_app
from kvalitet.avvikelser import stats as avvikelser_stats
from kvalitet.core.periods import quality_year
from kvalitet.demo import seed_reference_data
from kvalitet.extensions import REPLICA, db, replica_reads
from kvalitet.items import export
from kvalitet.items.models import Item
from kvalitet.rapport.document import prefetch_stats
from tests.conftest import BASE_CONFIG, new_database
from tests.notify.helpers import free_port

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_url(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not Path(REDIS).exists():
        pytest.fail("redis-server saknas; kör scripts/system-deps.sh test")
    port = free_port()
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_app_instances_share_one_rate_limit_in_redis(template_db, tmp_path, redis_url):  # type: ignore[no-untyped-def]
    url, cleanup = new_database(template_db, tmp_path)
    try:
        config = {**BASE_CONFIG, "DATABASE_URL": url, "RATELIMIT_STORAGE_URI": redis_url}
        first, second = create_app(dict(config)), create_app(dict(config))
        clients = [first.test_client(), second.test_client()]
        # The calendar feed allows 60 requests a minute per address: 30 on each instance.
        answers = [clients[i % 2].get("/kalender/okand.ics").status_code
                   for i in range(60)]  # fmt: skip
        assert set(answers) == {404}
        assert clients[0].get("/kalender/okand.ics").status_code == 429
        assert clients[1].get("/kalender/okand.ics").status_code == 429
        # The count lives in Redis (where processes on other machines read it too), not in
        # this process: its counters are the 60 requests of both instances.
        import redis

        store = redis.Redis.from_url(redis_url)
        counters = [int(store.get(k) or 0) for k in store.keys("LIMITS*")]
        assert counters and max(counters) >= 60
        store.flushall()  # another machine's process after a restart of this one: fresh
        assert clients[0].get("/kalender/okand.ics").status_code == 404
    finally:
        cleanup()


def _copy_everything(source: Any, target: Any) -> None:
    """The primary's rows into the replica, table by table (a replica as of now)."""
    with source.connect() as read, target.begin() as write:
        for table in db.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in read.execute(select(table))]
            if rows:
                write.execute(insert(table), rows)


def test_statistics_exports_and_report_read_the_replica(template_db, tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "p").mkdir()
    (tmp_path / "r").mkdir()
    primary_url, drop_primary = new_database(template_db, tmp_path / "p")
    replica_url, drop_replica = new_database(template_db, tmp_path / "r")
    try:
        app = create_app({**BASE_CONFIG, "DATABASE_URL": primary_url,
                          "READ_REPLICA_DATABASE_URL": replica_url})  # fmt: skip
        with app.app_context():
            seed_reference_data()
            forv, enheter, _user = build_org()
            year = quality_year(2025)
            generate(300, year, forv, enheter, seed=4)
            db.session.commit()
            replica = db.engines[REPLICA]
            with replica.begin() as conn:  # the template's reference lists, copied anew
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
            _copy_everything(db.engine, replica)
            on_replica = db.session.scalar(
                select(func.count()).select_from(Item).where(Item.kind == "AVV",
                                                            Item.cancelled_at.is_(None))
            )  # fmt: skip
            generate(200, year, enheter[0], enheter, seed=5)  # only on the primary
            db.session.commit()
            on_primary = db.session.scalar(
                select(func.count()).where(Item.kind == "AVV", Item.cancelled_at.is_(None))
            )
            assert on_primary > on_replica > 0
            # Statistics (the pages and the report) read the replica ...
            assert avvikelser_stats.statistics(forv, year)["total"] == on_replica
            cache = prefetch_stats([("avvikelser", avvikelser_stats.statistics)], [forv], year,
                                   year.previous_year())  # fmt: skip
            assert cache[("avvikelser", forv.id)][0]["total"] == on_replica  # type: ignore[index]
            # ... and so do exports (all avvikelser, cancelled ones too, as rows) ...
            every = select(func.count()).where(Item.kind == "AVV")
            with replica_reads():
                on_replica_all = db.session.scalar(every)
            chunks = export.csv_chunks(select(Item).where(Item.kind == "AVV"),
                                       [("Nummer", lambda i: i.ref)])  # fmt: skip
            lines = b"".join(chunks).decode("utf-8").strip().splitlines()
            assert len(lines) - 1 == on_replica_all < db.session.scalar(every)
            # ... and so does a read inside replica_reads; outside it the primary is read.
            with replica_reads():
                assert db.session.scalar(select(func.count()).select_from(Item)) < on_primary
            assert db.session.scalar(select(func.count()).where(Item.kind == "AVV",
                                     Item.cancelled_at.is_(None))) == on_primary  # fmt: skip
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    finally:
        drop_primary()
        drop_replica()

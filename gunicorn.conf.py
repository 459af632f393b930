"""gunicorn's settings for Kvalitet, the same in production (docs/deployment.md §3) and in
the benchmarks (bench/throughput.py, bench/load.py run gunicorn in this folder, which reads
this file; their command line sets only the number of workers and the address).

Sync workers, four by default: a request holds its worker while it waits on the database,
and four workers keep two cores busy. Each worker compiles every template once when it
starts (kvalitet.web.warm_templates), so the first people to open a page after a restart do
not wait for Jinja, and a benchmark's first seconds measure pages, not the compiler.
"""

from __future__ import annotations

from typing import Any

from kvalitet.web import warm_templates

workers = 4
bind = "127.0.0.1:8000"
timeout = 120


def post_worker_init(worker: Any) -> None:
    warm_templates(worker.wsgi)

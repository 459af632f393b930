"""Rendering Word and PDF in the background, with progress, and keeping the result.

A job renders one file: a frozen version (its file is made once and kept: the version never
changes) or the draft (compiled first; rendered again only when the compiled content, the
template or the logo changed since the last file). Its state is a small JSON file in
`<instance>/kvalitetsberattelse/jobb/`, so every web worker process sees the same progress;
the work runs in a thread of the process that started it.

Job ids are fixed per target (`v12-pdf`, `d3-docx`): a second request while one runs joins
it instead of starting another.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from flask import current_app

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.org.models import User
from kvalitet.rapport import assets
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.models import Kvalitetsberattelse, RapportVersion
from kvalitet.rapport.operations import canonical, version_content
from kvalitet.rapport.render import chart_data_uri, docx_bytes, pdf_bytes

log = logging.getLogger(__name__)

FORMATS = ("docx", "pdf")
STALE_SECONDS = 15 * 60  # a "running" job not heard from for this long has died
LABELS = {"docx": "Word", "pdf": "PDF"}
# Keys of a compiled document that change on every compilation without the content changing.
VOLATILE = ("compiled_at", "compiled_at_local", "compiled_by")


def files_dir() -> Path:
    return Path(current_app.instance_path) / "kvalitetsberattelse"


def jobs_dir() -> Path:
    return files_dir() / "jobb"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
    temporary.write_bytes(data)
    temporary.replace(path)


def job_id(target: str, ident: int, fmt: str) -> str:
    return f"{'v' if target == 'version' else 'd'}{int(ident)}-{fmt}"


def parse_job_id(job: str) -> tuple[str, int, str] | None:
    """("version" | "draft", id, fmt) of a job id, or None when it is not one."""
    head, _, fmt = job.partition("-")
    if fmt not in FORMATS or len(head) < 2 or head[0] not in "vd" or not head[1:].isdigit():
        return None
    return ("version" if head[0] == "v" else "draft", int(head[1:]), fmt)


def state(job: str) -> dict[str, Any] | None:
    path = jobs_dir() / f"{job}.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def version_file(version: RapportVersion, fmt: str) -> Path:
    return files_dir() / f"v{version.id}-{version.sha256[:16]}.{fmt}"


def draft_key(document: dict[str, Any], unit_id: int) -> str:
    """Hash of what the draft's file shows: the compiled content without the compile time,
    and the template and logo."""
    content = {k: v for k, v in document.items() if k not in VOLATILE}
    digest = hashlib.sha256(canonical(content).encode("utf-8"))
    digest.update(assets.fingerprint(unit_id).encode())
    return digest.hexdigest()[:20]


def draft_file(rapport: Kvalitetsberattelse, document: dict[str, Any], fmt: str) -> Path:
    return files_dir() / f"utkast-{rapport.id}-{draft_key(document, rapport.unit_id)}.{fmt}"


def render(
    document: dict[str, Any],
    fmt: str,
    unit_id: int,
    version: RapportVersion | None = None,
    progress: Any = None,
) -> bytes:
    """Word or PDF of a compiled document, in the förvaltning's template with its logo."""
    logo = assets.logo_for(unit_id)
    if fmt == "docx":
        page_numbers = bool(current_app.config.get("RAPPORT_TOC_PAGE_NUMBERS", True))
        return docx_bytes(
            document,
            version,
            template=assets.template_for(unit_id),
            logo=logo,
            page_numbers=page_numbers,
            progress=progress,
            profile=files_dir() / "libreoffice-profil",
        )
    return pdf_bytes(
        document, progress=progress, version=version, chart_uri=chart_data_uri, logo=logo
    )


def cached_version_bytes(version: RapportVersion, fmt: str) -> bytes:
    """A frozen version's file: rendered the first time, read from disk afterwards."""
    path = version_file(version, fmt)
    if path.exists():
        return path.read_bytes()
    data = render(version_content(version), fmt, version.rapport.unit_id, version)
    with contextlib.suppress(OSError):
        _write_bytes(path, data)
    return data


def draft_bytes(rapport: Kvalitetsberattelse, document: dict[str, Any], fmt: str) -> bytes:
    """The draft's file: rendered again only when its content changed."""
    path = draft_file(rapport, document, fmt)
    if path.exists():
        return path.read_bytes()
    data = render(document, fmt, rapport.unit_id)
    with contextlib.suppress(OSError):
        _prune_drafts(rapport.id, fmt)
        _write_bytes(path, data)
    return data


def _prune_drafts(rapport_id: int, fmt: str) -> None:
    for old in files_dir().glob(f"utkast-{rapport_id}-*.{fmt}"):
        old.unlink(missing_ok=True)


# --- jobs ---------------------------------------------------------------------------------


def start(target: str, ident: int, fmt: str, user: User) -> str:
    """Start (or join) the job rendering `fmt` of a version or a report's draft. A frozen
    version whose file exists is done at once."""
    job = job_id(target, ident, fmt)
    current = state(job)
    alive = time.time() - float((current or {}).get("heartbeat", 0)) < STALE_SECONDS
    if current and current.get("state") == "running" and alive:
        return job
    if target == "version":
        version = db.session.get(RapportVersion, ident)
        if version is not None and version_file(version, fmt).exists():
            _write_json(jobs_dir() / f"{job}.json", _done(version_file(version, fmt), fmt))
            return job
    _write_json(jobs_dir() / f"{job}.json", {
        "state": "running", "percent": 0, "message": "Väntar på att börja",
        "heartbeat": time.time(), "started_by": user.id, "format": fmt,
    })  # fmt: skip
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=_run, args=(app, job, target, ident, fmt, user.id), daemon=True
    )
    thread.start()
    if current_app.config.get("RAPPORT_JOBS_INLINE"):
        thread.join()  # tests: wait for the result
    return job


def _done(path: Path, fmt: str) -> dict[str, Any]:
    return {"state": "done", "percent": 100, "message": f"{LABELS[fmt]}-filen är klar",
            "file": path.name, "heartbeat": time.time(), "format": fmt}  # fmt: skip


def _run(app: Any, job: str, target: str, ident: int, fmt: str, user_id: int) -> None:
    path = jobs_dir_for(app) / f"{job}.json"
    base: dict[str, Any] = {"state": "running", "started_by": user_id, "format": fmt}

    def progress(percent: int, message: str) -> None:
        _write_json(path, {**base, "percent": int(percent), "message": message,
                           "heartbeat": time.time()})  # fmt: skip

    with app.app_context():
        try:
            if target == "version":
                version = db.session.get(RapportVersion, ident)
                if version is None:
                    raise LookupError(job)
                progress(5, "Läser den frysta versionen")
                out = version_file(version, fmt)
                if not out.exists():
                    data = render(version_content(version), fmt, version.rapport.unit_id,
                                  version, _scaled(progress, 10, 100))  # fmt: skip
                    _write_bytes(out, data)
            else:
                rapport = db.session.get(Kvalitetsberattelse, ident)
                if rapport is None:
                    raise LookupError(job)
                user = db.session.get(User, user_id)
                progress(3, "Sammanställer utkastet ur ärendena")
                document = compile_document(rapport, user)
                out = draft_file(rapport, document, fmt)
                if not out.exists():
                    data = render(document, fmt, rapport.unit_id, None,
                                  _scaled(progress, 30, 100))  # fmt: skip
                    _prune_drafts(rapport.id, fmt)
                    _write_bytes(out, data)
            _write_json(path, {**_done(out, fmt), "started_by": user_id})
        except Exception:
            log.exception("rendering %s failed", job)
            _write_json(path, {**base, "state": "error", "percent": 100, "heartbeat": time.time(),
                               "message": "Filen kunde inte skapas. Försök igen eller "
                               "kontakta systemförvaltaren."})  # fmt: skip
        finally:
            db.session.remove()


def jobs_dir_for(app: Any) -> Path:
    return Path(app.instance_path) / "kvalitetsberattelse" / "jobb"


def _scaled(progress: Any, low: int, high: int) -> Any:
    def report(percent: int, message: str) -> None:
        progress(low + (high - low) * percent // 100, message)

    return report


def result_path(job: str) -> Path | None:
    current = state(job)
    if not current or current.get("state") != "done" or not current.get("file"):
        return None
    path = files_dir() / Path(str(current["file"])).name
    return path if path.exists() else None


def now_label() -> str:
    local = clock.to_local(clock.now())
    return local.strftime("%H:%M") if local else ""

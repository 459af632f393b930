"""A förvaltning's own Word template and logo for its documents, kept as files in the
instance folder (`<instance>/dokumentmallar/<unit id>/mall.docx`, `logo.png|jpg`), with the
configured defaults (`RAPPORT_TEMPLATE`, `RAPPORT_LOGO`: paths) when none is uploaded."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from flask import current_app
from PIL import Image

from kvalitet.core.errors import OperationError
from kvalitet.rapport.word import TemplateError, check_template

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_LOGO_BYTES = 2 * 1024 * 1024


def folder(unit_id: int) -> Path:
    return Path(current_app.instance_path) / "dokumentmallar" / str(int(unit_id))


def _configured(key: str) -> bytes | None:
    path = str(current_app.config.get(key) or "")
    if path and Path(path).is_file():
        return Path(path).read_bytes()
    return None


def template_for(unit_id: int) -> bytes | None:
    path = folder(unit_id) / "mall.docx"
    return path.read_bytes() if path.is_file() else _configured("RAPPORT_TEMPLATE")


def logo_for(unit_id: int) -> bytes | None:
    for name in ("logo.png", "logo.jpg"):
        path = folder(unit_id) / name
        if path.is_file():
            return path.read_bytes()
    return _configured("RAPPORT_LOGO")


def has_own_template(unit_id: int) -> bool:
    return (folder(unit_id) / "mall.docx").is_file()


def fingerprint(unit_id: int) -> str:
    """Changes when the template or the logo changes (part of a rendered file's key)."""
    digest = hashlib.sha256()
    for data in (template_for(unit_id), logo_for(unit_id)):
        digest.update(hashlib.sha256(data or b"").digest())
    return digest.hexdigest()[:12]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def save_template(unit_id: int, data: bytes) -> None:
    """Store an uploaded Word template after checking that it is one."""
    if not data:
        raise OperationError("Välj en Word-mall (.docx eller .dotx).", field="mall")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise OperationError("Mallen är för stor (högst 10 MB).", field="mall")
    try:
        check_template(data)
    except TemplateError as error:
        raise OperationError(str(error), field="mall")
    _write(folder(unit_id) / "mall.docx", data)


def save_logo(unit_id: int, data: bytes) -> None:
    """Store an uploaded logo (PNG or JPEG, checked by opening it)."""
    if len(data) > MAX_LOGO_BYTES:
        raise OperationError("Logotypen är för stor (högst 2 MB).", field="logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except Exception:
        raise OperationError("Logotypen måste vara en PNG- eller JPEG-bild.", field="logo")
    if kind not in ("PNG", "JPEG"):
        raise OperationError("Logotypen måste vara en PNG- eller JPEG-bild.", field="logo")
    for name in ("logo.png", "logo.jpg"):
        (folder(unit_id) / name).unlink(missing_ok=True)
    _write(folder(unit_id) / ("logo.png" if kind == "PNG" else "logo.jpg"), data)


def remove(unit_id: int) -> None:
    for name in ("mall.docx", "logo.png", "logo.jpg"):
        (folder(unit_id) / name).unlink(missing_ok=True)

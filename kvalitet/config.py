"""Configuration: defaults here, then instance/config.py, then KVALITET_* environment variables.

Every setting can be overridden by an environment variable with the prefix KVALITET_, for
example KVALITET_DATABASE_URL or KVALITET_SECRET_KEY. Values from the environment are parsed
as JSON when they look like JSON (numbers, true/false, lists), otherwise taken as strings.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV_PREFIX = "KVALITET_"


class Defaults:
    # --- database -----------------------------------------------------------------------
    # Empty means SQLite at instance/kvalitet.sqlite.
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

    # --- security -----------------------------------------------------------------------
    SECRET_KEY = ""  # generated into instance/secret_key when empty
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure unless testing or BASE_URL is http://localhost / 127.0.0.1 (local development).
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None
    # Strict-Transport-Security on responses served over https (0 = leave it to the proxy).
    HSTS_SECONDS = 365 * 24 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Sessions end on the server after this long without a request, and this long after login.
    SESSION_IDLE_MINUTES = 60
    SESSION_ABSOLUTE_MINUTES = 10 * 60
    # Login throttling (see docs/security.md). Per e-mail address + client address: the first
    # LOGIN_FREE_FAILURES failures cost nothing, then each one doubles a wait starting at
    # LOGIN_DELAY_SECONDS, up to LOGIN_DELAY_MAX_SECONDS. Per client address: after
    # LOGIN_ADDRESS_MAX_FAILED failures within LOGIN_ADDRESS_WINDOW_MINUTES the address is
    # locked for LOGIN_LOCKOUT_MINUTES. An account itself is never locked.
    LOGIN_FREE_FAILURES = 3
    LOGIN_DELAY_SECONDS = 2
    LOGIN_DELAY_MAX_SECONDS = 15 * 60
    LOGIN_ADDRESS_MAX_FAILED = 30
    LOGIN_ADDRESS_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_RESET_MINUTES = 30  # a reset link works once, for this long
    CALENDAR_TOKEN_DAYS = 365  # a calendar feed address stops working after this; make a new one

    # --- uploads ------------------------------------------------------------------------
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024  # whole request
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    ATTACHMENT_EXTENSIONS = [
        "pdf", "docx", "doc", "xlsx", "xls", "odt", "ods", "txt", "csv", "png", "jpg", "jpeg",
    ]  # fmt: skip
    ATTACHMENT_DIR = ""  # empty: instance/attachments

    # --- application --------------------------------------------------------------------
    BASE_URL = "http://127.0.0.1:5000"  # used in links in e-mails and calendar feeds
    ORGANISATION_NAME = "Socialförvaltning Centrum"
    TIMEZONE = "Europe/Stockholm"
    PAGE_SIZE = 25
    # Quality year: the month it starts in (9 = 1 September - 31 August; 1 = calendar year).
    QUALITY_YEAR_START_MONTH = 9
    # Non-working days: Swedish public holidays plus the de facto holidays
    # (midsommarafton, julafton, nyårsafton) that municipal offices close on.
    WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS = True
    # Audit reads of sensitive kinds (lex Sarah).
    AUDIT_SENSITIVE_READS = True
    # Who besides SAS and the decision maker sees a lex Sarah case (docs/security.md):
    # "narrow" = the enhetschef of the item's unit; an avdelningschef only where the unit has
    # no enhetschef. "wide" = every chef at or above the unit, avdelningschef included.
    LEXSARAH_NEED_TO_KNOW = "narrow"

    # --- mail ---------------------------------------------------------------------------
    MAIL_SERVER = ""  # empty: mails stay in the outbox, readable by admins in the app
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "kvalitet@example.se"

    # Number of trusted reverse proxies in front of the app (nginx: 1). 0 = none.
    PROXY_COUNT = 0

    # --- rate limits --------------------------------------------------------------------
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True


def _parse_env_value(raw: str) -> Any:
    text = raw.strip()
    if text and (text[0] in '[{"' or text in ("true", "false", "null") or _is_number(text)):
        try:
            return json.loads(text)
        except ValueError:
            return raw
    return raw


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def env_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    return {
        key[len(ENV_PREFIX) :]: _parse_env_value(value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX)
    }

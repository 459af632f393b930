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
    SESSION_COOKIE_SECURE = False  # set True in production (HTTPS)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    LOGIN_MAX_FAILED = 5  # failed attempts before the account is locked
    LOGIN_LOCKOUT_MINUTES = 15
    PASSWORD_MIN_LENGTH = 10

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

    # --- mail ---------------------------------------------------------------------------
    MAIL_SERVER = ""  # empty: mails stay in the outbox, readable by admins in the app
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "kvalitet@example.se"

    # Outbox (kvalitet.notify, docs/notify.md): a mail larger than this is never built;
    # temporary failures back off per message (with jitter) and give up after max attempts.
    MAIL_MAX_BYTES = 100_000
    MAIL_MAX_ATTEMPTS = 20
    MAIL_RETRY_JITTER = 0.25

    # --- scheduler (docs/arshjul.md, "Lease") ---------------------------------------------
    # A lease not renewed for this long is taken over by another scheduler.
    SCHEDULER_LEASE_SECONDS = 30
    # How often the holder renews the lease (and a waiting scheduler tries to take it).
    SCHEDULER_HEARTBEAT_SECONDS = 5

    # --- input guard (kvalitet/inputguard.py) -----------------------------------------------
    INPUT_MAX_JSON_BYTES = 1024 * 1024  # a JSON request body
    INPUT_MAX_JSON_DEPTH = 20  # nesting of objects and lists in a JSON body

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

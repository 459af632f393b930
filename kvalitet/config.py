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
    # A read replica (PostgreSQL streaming replica) that statistics, exports and the report
    # compile read from; empty: everything reads the primary (docs/deployment.md).
    READ_REPLICA_DATABASE_URL = ""
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

    # --- mål och indikatorer (docs/mal.md) ----------------------------------------------
    # Follow-up deadlines per period ("MM-DD" in the plan's year, "+MM-DD" the year after).
    MAL_DEADLINES: dict[str, str] = {"T1": "05-15", "T2": "09-15", "T3": "+01-31",
                                     "H1": "08-15", "H2": "+01-31", "AR": "+01-31"}  # fmt: skip
    MAL_MONTH_DEADLINE_DAY = 15  # a month is followed up by this day of the next month
    MAL_TASK_LEAD_DAYS = 21  # follow-up tasks appear this many days before the deadline
    # True: T2 and H1/H2 run from 1 January (cumulative, as a delårsbokslut per 31 August).
    MAL_CUMULATIVE_PERIODS = False
    # Proposed samlad bedömning: share of a goal's indikatorer reaching their målvärde.
    MAL_BEDOMNING_REGEL: dict[str, float] = {"uppnatt": 1.0, "delvis": 0.5}

    # --- mail ---------------------------------------------------------------------------
    MAIL_SERVER = ""  # empty: mails stay in the outbox, readable by admins in the app
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "kvalitet@example.se"

    # --- kvalitetsberättelse documents (Word/PDF) -------------------------------------------
    # Paths to a default Word template (.docx/.dotx) and logo (PNG/JPEG) for förvaltningar
    # that have not uploaded their own; empty: the built-in municipal look, no logo.
    RAPPORT_TEMPLATE = ""
    RAPPORT_LOGO = ""
    # Page numbers in the Word table of contents, from a LibreOffice rendering (soffice).
    RAPPORT_TOC_PAGE_NUMBERS = True
    # Rows per action table and avdelning; the rest is counted in a last row.
    RAPPORT_ACTIONS_MAX = 25
    # The action tables' cells: True adds the reference number, the status before what was
    # done and a note where the effect is not followed up; False prints exactly the texts
    # people wrote, as in the förvaltning's own reports (docs/migration.md).
    RAPPORT_TABLE_LABELS = False
    # Categories shown by name in the summary statistics (the rest as "Övriga").
    RAPPORT_TOP_N = 5
    # Render in the request's thread and wait (tests); normally a background thread.
    RAPPORT_JOBS_INLINE = False
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

    # --- single sign-on (see docs/sso.md) ------------------------------------------------
    # Local passwords: False turns the password form off for everyone but the break-glass
    # admin accounts listed (by e-mail) in LOCAL_LOGIN_BREAK_GLASS.
    LOCAL_LOGIN_ENABLED = True
    LOCAL_LOGIN_BREAK_GLASS: list[str] = []
    # Match a first-time provider login to an existing account with the same e-mail address.
    SSO_LINK_BY_EMAIL = True
    # Seconds of clock difference tolerated between Kvalitet and the identity provider.
    SSO_CLOCK_SKEW = 120
    # Nightly: deactivate accounts that log in only via a provider and have not done so for
    # this many days (staff who left). 0 = off; `flask sso-deactivate --days N` by hand.
    SSO_DEACTIVATE_AFTER_DAYS = 0
    # OpenID Connect: on when OIDC_DISCOVERY_URL is set.
    OIDC_DISCOVERY_URL = ""  # https://.../.well-known/openid-configuration
    OIDC_CLIENT_ID = ""
    OIDC_CLIENT_SECRET = ""
    OIDC_SCOPES = "openid profile email"
    OIDC_LABEL = "Logga in med kommunens konto"
    OIDC_CLAIM_ID = "sub"  # Entra ID: "oid"
    OIDC_CLAIM_EMAIL = "email"  # falls back to preferred_username when it is an e-mail address
    OIDC_CLAIM_NAME = "name"
    OIDC_CLAIM_TITLE = "jobtitle"
    OIDC_CLAIM_GROUPS = "groups"
    # SAML 2.0: on when the identity provider's metadata is given (file, URL or XML text).
    SAML_IDP_METADATA_FILE = ""
    SAML_IDP_METADATA_URL = ""
    SAML_IDP_METADATA_XML = ""
    SAML_LABEL = "Logga in med SITHS-kort eller e-legitimation"
    SAML_SP_ENTITY_ID = ""  # empty: BASE_URL + /saml/metadata
    # The SP's key and certificate (signing requests, decrypting assertions). Empty: generated
    # once into instance/saml/.
    SAML_SP_KEY_FILE = ""
    SAML_SP_CERT_FILE = ""
    SAML_XMLSEC_BINARY = ""  # empty: xmlsec1 on PATH
    SAML_ATTR_ID = ""  # empty: the NameID (persistent) is the stable identifier
    # NameID format asked for in the AuthnRequest ("" = let the IdP choose).
    SAML_NAME_ID_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    SAML_ATTR_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    SAML_ATTR_NAME = "http://schemas.microsoft.com/identity/claims/displayname"
    SAML_ATTR_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
    SAML_ATTR_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
    SAML_ATTR_TITLE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/title"
    SAML_ATTR_GROUPS = "http://schemas.xmlsoap.org/claims/Group"

    # 19-kinds
    # Days from the report to the chef's investigation due date of an avvikelse (the
    # "skyndsamt" of DOMAIN.md §5.1; 14 days as for a lex Sarah utredning). 0 = no due date.
    AVVIKELSE_UTREDNING_DAGAR = 14
    # The municipality's logo on the public e-tjänst: a file under instance/static/ (e.g.
    # "logo.png") or a path on this site ("/static/..."); not another site's address (the
    # CSP allows own images only). Empty: no logo. Its alt text is ORGANISATION_NAME.
    KOMMUN_LOGO_URL = ""

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

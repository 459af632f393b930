"""Fuzz every web form (hypothesis): a crawler logs in as the demo's users, follows every
link and collects every form; each form is then submitted with hostile values (NUL and other
control characters, numbers and dates the database cannot hold, very long text) in one field
or all at once. Never a 500, and a request refused at the edge changes nothing."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kvalitet.demo import DEMO_PASSWORD
from tests.conftest import Client
from tests.faults.conftest import Unchanged, fingerprint

EXAMPLES = int(os.environ.get("KVALITET_FUZZ_FORM_EXAMPLES", "4"))
MAX_PAGES = int(os.environ.get("KVALITET_FUZZ_MAX_PAGES", "80"))
USERS = ["admin@demo.kvalitet.se", "kvalitet@demo.kvalitet.se", "chef.utr1@demo.kvalitet.se",
         "sas@demo.kvalitet.se", "medarbetare@demo.kvalitet.se"]  # fmt: skip
SKIP = re.compile(r"^/(static|api|logga-ut|bilaga/|kalender/)|format=|export|\.ics|\.pdf|\.docx")
TEXT_TYPES = {"text", "search", "email", "url", "tel", "number", "date", "datetime-local",
              "password", "textarea", "hidden", "month", "week", "time"}  # fmt: skip

HOSTILE = [
    "\x00", "a\x00b", "\x01\x02\x03", "\x1b[2J", "\x7f", "x\x0b\x0c",
    "99999999999999999999999", "-99999999999999999999999", "99999999999", "2147483648",
    "9999-12-31", "0001-01-01", "0000-00-00", "99999-01-01", "1900-01-01", "2200-12-31",
    "9999-12-31T23:59", "0001-01-01T00:00", "NaN", "Infinity", "-1", "0", "1e308",
    "x" * 20_000, "' OR 1=1 --", "<script>alert(1)</script>", "\u202e\ufeff", "😀" * 50, "",
]  # fmt: skip
hostile_text = st.sampled_from(HOSTILE) | st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=40
)


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, default)
    files: list[str] = field(default_factory=list)

    @property
    def signature(self) -> tuple[str, str, tuple[str, ...]]:
        names = tuple(sorted({n for n, _, _ in self.fields if n != "csrf_token"}))
        return (self.method, shape(self.action), names)

    def text_fields(self) -> list[str]:
        return sorted(
            {n for n, t, _ in self.fields if t in TEXT_TYPES and n != "csrf_token"}
            | {n for n, t, _ in self.fields if t in ("select", "radio", "checkbox")}
        )


def shape(url: str) -> str:
    path = urlsplit(url).path
    path = re.sub(r"[A-ZÅÄÖ]{2,4}-\d{4}-\d{4}", "{ref}", path)
    return re.sub(r"/\d+", "/{id}", path)


class Page(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        elif tag == "form":
            action = urljoin(self.url, attrs.get("action") or self.url)
            self._form = Form(action, (attrs.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "name" not in attrs:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "file":
                self._form.files.append(attrs["name"])
            elif kind not in ("submit", "button", "reset", "image"):
                if (
                    kind in ("checkbox", "radio")
                    and "checked" not in attrs
                    and any(n == attrs["name"] for n, _, _ in self._form.fields)
                ):
                    return
                self._form.fields.append((attrs["name"], kind, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form.fields.append((attrs["name"], "textarea", ""))
        elif tag == "select":
            self._select = attrs["name"]
            self._form.fields.append((attrs["name"], "select", ""))
        elif tag == "option" and self._select and self._form:
            name, kind, value = self._form.fields[-1]
            if not value or "selected" in attrs:
                self._form.fields[-1] = (name, kind, attrs.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form:
            name, kind, value = self._form.fields[-1]
            self._form.fields[-1] = (name, kind, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Crawler:
    def __init__(self, app: Any, email: str, unchanged: Unchanged) -> None:
        self.client = Client(app.test_client())
        self.email = email
        self.unchanged = unchanged
        self.login()

    def login(self) -> None:
        # (again after a fuzzed form ended the session): the login's own audit row is not
        # the fuzzed request's doing.
        self.client.login(self.email, DEMO_PASSWORD)
        self.unchanged.state = fingerprint()

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        if response.status_code == 302 and "/logga-in" in response.headers.get("Location", ""):
            self.login()
            response = self.client.get(url)
        return response

    def crawl(self) -> dict[tuple[str, str, tuple[str, ...]], Form]:
        seen_urls: set[str] = set()
        per_shape: dict[str, int] = {}
        queue = ["/"]
        forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
        while queue and len(seen_urls) < MAX_PAGES:
            url = queue.pop(0)
            if url in seen_urls or SKIP.search(url):
                continue
            key = shape(url) + ("?" if "?" in url else "")
            if per_shape.get(key, 0) >= 2:
                continue
            per_shape[key] = per_shape.get(key, 0) + 1
            seen_urls.add(url)
            response = self.get(url)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            page = Page(url)
            page.feed(response.get_data(as_text=True))
            for form in page.forms:
                if not SKIP.search(urlsplit(form.action).path):
                    forms.setdefault(form.signature, form)
            queue.extend(link for link in page.links if link not in seen_urls)
        return forms


def _submit(crawler: Crawler, form: Form, values: dict[str, str]) -> Any:
    data: list[tuple[str, Any]] = []
    for name, _kind, default in form.fields:
        data.append((name, values.get(name, default)))
    if form.method == "get":
        split = urlsplit(form.action)
        query = [(k, v) for k, v in parse_qsl(split.query) if k not in values]
        return crawler.get(split.path + "?" + urlencode(query + data))
    token = crawler.client.token(form.action if form.method == "get" else "/konto")
    payload: dict[str, Any] = {}
    for name, value in data:
        payload.setdefault(name, []).append(value if name != "csrf_token" else token)
    for name in form.files:
        payload[name] = (io.BytesIO(b"fuzz"), "fuzz.txt")
    return crawler.client.open(
        "POST",
        form.action,
        data=payload,
        content_type="multipart/form-data" if form.files else None,
    )


def _fuzz(crawler: Crawler, form: Form, names: list[str], unchanged: Unchanged) -> None:
    one_field = st.tuples(st.sampled_from(names), hostile_text).map(lambda p: {p[0]: p[1]})
    all_fields = st.fixed_dictionaries({n: hostile_text for n in names})

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(values=one_field | all_fields)
    def submit(values: dict[str, str]) -> None:
        response = _submit(crawler, form, values)
        assert response.status_code < 500, (form.action, values, response.status_code)
        # Refused at the edge, or by a form or operation (400/422): nothing changed.
        unchanged.check(response.status_code, (form.action, values))

    submit()


@pytest.mark.slow
@pytest.mark.long
def test_every_form_refuses_hostile_input_without_a_500(demo_app, monkeypatch):
    if os.environ.get("KVALITET_FUZZ_WITHOUT_GUARD"):  # to see that the fuzz finds the 500s
        import kvalitet.inputguard as guard

        monkeypatch.setattr(guard, "check_request", lambda: None)
        monkeypatch.setattr(guard, "value_problem", lambda value: None)
    covered: set[tuple[str, str, tuple[str, ...]]] = set()
    unchanged = Unchanged()
    for email in USERS:
        crawler = Crawler(demo_app, email, unchanged)
        forms = crawler.crawl()
        for signature, form in sorted(forms.items()):
            if signature in covered:
                continue
            covered.add(signature)
            names = form.text_fields()
            if not names:
                continue
            _fuzz(crawler, form, names, unchanged)
    print(f"fuzzed {len(covered)} forms:", *sorted(f"{m.upper()} {a}" for m, a, _ in covered),
          sep="\n  ")  # fmt: skip
    assert len(covered) >= 40, sorted(covered)

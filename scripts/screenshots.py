"""Take screenshots of the running demo (make run) for README and for looking at the UI.

Usage: .venv/bin/python scripts/screenshots.py [base_url] [out_dir]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
PASSWORD = "Demo-losen-2026"  # noqa: S105 the public demo password

# (file name, user, path, phone?)
SHOTS = [
    ("inbox", "chef.utr1@demo.kvalitet.se", "/", False),
    ("enheter", "avdchef.bou@demo.kvalitet.se", "/enheter", False),
    ("admin-enheter", "admin@demo.kvalitet.se", "/admin/enheter", False),
    ("admin-anvandare", "admin@demo.kvalitet.se", "/admin/anvandare", False),
    ("inbox-mobil", "medarbetare@demo.kvalitet.se", "/", True),
    ("avvikelse-mobil", "medarbetare@demo.kvalitet.se", "/avvikelser/ny", True),
    ("lexsarah-tavla", "sas@demo.kvalitet.se", "/lexsarah/", False),
    ("arshjul", "kvalitet@demo.kvalitet.se", "/arshjul/", False),
    ("avvikelser-statistik", "avdchef.bou@demo.kvalitet.se", "/avvikelser/statistik", False),
    ("synpunkt-etjanst", "", "/synpunkter/lamna", True),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    extra = [a.split("=", 1) for a in sys.argv[3:]]
    shots = SHOTS + [(name, user_path.split(":")[0], user_path.split(":", 1)[1], False)
                     for name, user_path in extra]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, user, path, phone in shots:
            viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
            context = browser.new_context(locale="sv-SE", viewport=viewport)
            page = context.new_page()
            if user:
                page.goto(f"{BASE}/logga-in")
                page.get_by_label("E-postadress").fill(user)
                page.get_by_label("Lösenord").fill(PASSWORD)
                page.get_by_role("button", name="Logga in").click()
                page.wait_for_load_state()
            page.goto(f"{BASE}{path}")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()

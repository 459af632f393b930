"""The domain modules, in load order. Each may have models.py, views.py (a blueprint `bp`),
demo.py (a `seed(ctx)` function called by `flask demo`), nav.py (a `nav(user)` function that
returns menu entries) and cli.py (a `register(app)` function)."""

MODULES = [
    "org",
    "items",
    "notify",
    "lagrum",
    "atgarder",
    "avvikelser",
    "risker",
    "lexsarah",
    "synpunkter",
    "egenkontroll",
    "arshjul",
    "rapport",
    "lexmaria",
    "mal",
    "analys",
    "api",
    "admin",
    "sso",
    "gallring",
    "search",
    "start",
    "utskrift",
]

"""docs/regulation.md, the regulatory map: every requirement row names at least one test,
every named test exists, and every requirement issue 20 asks for has a row."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "regulation.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)`")

REQUIRED = {
    # SOSFS 2011:9 3, 4, 5 and 7 kap.
    "SOSFS-2011:9-3-ledningssystem",
    "SOSFS-2011:9-3-ansvar",
    "SOSFS-2011:9-4-processer",
    "SOSFS-2011:9-4-rutiner",
    "SOSFS-2011:9-4-samverkan",
    "SOSFS-2011:9-5-riskanalys",
    "SOSFS-2011:9-5-egenkontroll",
    "SOSFS-2011:9-5-klagomal",
    "SOSFS-2011:9-5-avvikelser",
    "SOSFS-2011:9-5-sammanstallning",
    "SOSFS-2011:9-5-atgarder",
    "SOSFS-2011:9-7-dokumentation",
    # SOSFS 2011:5: each point of the utredning, provenance, snarast, the two months.
    "SOSFS-2011:5-handelse",
    "SOSFS-2011:5-uppmarksammat",
    "SOSFS-2011:5-tidpunkt",
    "SOSFS-2011:5-orsaker",
    "SOSFS-2011:5-tidigare",
    "SOSFS-2011:5-upprepning",
    "SOSFS-2011:5-atgarder",
    "SOSFS-2011:5-ovrigt",
    "SOSFS-2011:5-avslutande",
    "SOSFS-2011:5-proveniens",
    "SOSFS-2011:5-snarast",
    "SOSFS-2011:5-tva-manader",
    # PSL and HSLF-FS 2017:40 for lex Maria, HSLF-FS 2016:40, the patientsäkerhetsberättelse.
    "PSL-3-5-bedomning",
    "HSLF-FS-2017:40-utredning",
    "PSL-3-5-beslut",
    "PSL-3-5-snarast",
    "PSL-3-8-information",
    "LM-atgarder",
    "HSLF-FS-2016:40-logg",
    "PSL-3-10-berattelse",
    # DOMAIN.md §8
    "DP-minimum",
    "DP-sekretess",
    "DP-rapportor",
    "DP-laslogg",
    "DP-loggkontroll",
    "DP-aggregat",
    "DP-epost",
}


def requirement_rows(text: str) -> dict[str, str]:
    """{id: test cell} of every row of every table whose header starts with "| Id |"."""
    rows: dict[str, str] = {}
    in_table = False
    for line in text.splitlines():
        if line.startswith("| Id |"):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table or set(line) <= {"|", "-", " "}:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a row needs four cells: {line}"
        assert cells[0] not in rows, f"the id {cells[0]} is used twice"
        rows[cells[0]] = cells[3]
    return rows


@cache
def defined(path: str) -> set[str]:
    """Test names in a file: "test_x" and "TestClass::test_x"."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{f.name}"
                for f in node.body
                if isinstance(f, ast.FunctionDef) and f.name.startswith("test")
            }
    return names


def check(text: str) -> list[str]:
    problems = []
    rows = requirement_rows(text)
    for requirement in sorted(REQUIRED - set(rows)):
        problems.append(f"{requirement}: the map has no row")
    for requirement, cell in rows.items():
        nodes = NODE.findall(cell)
        if not nodes:
            problems.append(f"{requirement}: no test named")
        for path, name in nodes:
            if not (ROOT / path).is_file():
                problems.append(f"{requirement}: {path} does not exist")
            elif name not in defined(path):
                problems.append(f"{requirement}: {path}::{name} does not exist")
    return problems


def test_every_requirement_has_a_test_that_exists():
    assert check(MAP.read_text(encoding="utf-8")) == []


def test_the_check_fails_on_a_missing_or_unknown_test():
    good = MAP.read_text(encoding="utf-8")
    riskanalys = next(line for line in good.splitlines() if "| SOSFS-2011:9-5-riskanalys |" in line)
    no_test = good.replace(riskanalys, riskanalys.rsplit("|", 2)[0] + "| – |")
    assert check(no_test) == ["SOSFS-2011:9-5-riskanalys: no test named"]
    renamed = good.replace("::test_suppress_small_groups`", "::test_finns_inte`")
    assert check(renamed) == [
        "DP-aggregat: tests/synpunkter/test_stats.py::test_finns_inte does not exist"
    ]
    dropped = "\n".join(line for line in good.splitlines() if "| DP-epost |" not in line)
    assert check(dropped) == ["DP-epost: the map has no row"]

"""`make mutate`: break each guard of kvalitet/core/permissions.py and kvalitet/core/workflow.py
in turn, run the tests that guard them, and report which mutants survive (a surviving
mutant is a guard no test notices). A small, explicit list instead of mutmut: each mutant
is one guard removed, named so the report reads as a sentence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Mutants are made in a copy of the tree, so the working tree is never left broken.
WORK = Path(tempfile.mkdtemp(prefix="kvalitet-mutate-"))
TESTS = ["tests/core/test_guards.py", "tests/core/test_policy.py", "tests/core/test_workflow.py",
         "tests/org/test_permissions.py"]  # fmt: skip

# (file, guard, original text, mutated text)
MUTANTS = [
    (
        "kvalitet/core/permissions.py",
        "a role at a deactivated unit grants nothing",
        "if ra.role in wanted and ra.unit.active}",
        "if ra.role in wanted}",
    ),
    (
        "kvalitet/core/permissions.py",
        "an inactive user holds no role",
        "    if not _active(user):\n        return []",
        "    if False:\n        return []",
    ),
    (
        "kvalitet/core/permissions.py",
        "an inactive user sees no list",
        "    if not _active(user):\n        return false()",
        "    if False:\n        return false()",
    ),
    (
        "kvalitet/core/permissions.py",
        "only declared item actions are allowed",
        "if user is None or action not in ITEM_ACTIONS:",
        "if user is None:",
    ),
    (
        "kvalitet/core/permissions.py",
        "a cancelled item allows only view and comment",
        "if item.is_cancelled and action not in CANCELLED_ALLOWS:",
        "if False:",
    ),
    (
        "kvalitet/core/permissions.py",
        "seeing comes before every other action",
        "    if not can_view(user, item):\n        return False\n    if action ==",
        "    if False:\n        return False\n    if action ==",
    ),
    (
        "kvalitet/core/permissions.py",
        "the owner check compares the owner",
        'if "owner" in who and item.owner_id is not None and item.owner_id == user.id:',
        'if "owner" in who:',
    ),
    (
        "kvalitet/core/permissions.py",
        "managing needs a role over the unit",
        "and holds_role_over(user, spec.manage_roles, item.unit)",
        "and True",
    ),
    (
        "kvalitet/core/permissions.py",
        "require answers 404 to one who cannot see",
        'if user is None or not can(user, "view", item):\n        raise NotFound()',
        "if user is None:\n        raise NotFound()",
    ),
    (
        "kvalitet/core/permissions.py",
        "require answers 403 to one who may not act",
        'if action != "view" and not can(user, action, item):',
        "if False:",
    ),
    (
        "kvalitet/core/workflow.py",
        "a step needs a role of the transition",
        "    return bool(roles) and holds_role_over(user, roles, item.unit)",
        "    return True",
    ),
    (
        "kvalitet/core/workflow.py",
        "a cancelled item offers no steps",
        "    if item.is_cancelled:\n        return []",
        "    if False:\n        return []",
    ),
    (
        "kvalitet/core/workflow.py",
        "a cancelled item refuses a step",
        '    if item.is_cancelled:\n        return ["Ärendet är makulerat."]',
        '    if False:\n        return ["Ärendet är makulerat."]',
    ),
    (
        "kvalitet/core/workflow.py",
        "a step starts from its source states",
        "    if item.status not in transition.source:\n        return [",
        "    if False:\n        return [",
    ),
    (
        "kvalitet/core/workflow.py",
        "a step is refused to one who may not take it",
        "    if not may_take(user, item, transition):\n        return [",
        "    if False:\n        return [",
    ),
    (
        "kvalitet/core/workflow.py",
        "a step needs its required fields",
        "    if missing:\n        problems.append(",
        "    if False:\n        problems.append(",
    ),
    (
        "kvalitet/core/workflow.py",
        "a step needs a reason where declared",
        "if transition.needs_reason and not (reason and reason.strip()):",
        "if False:",
    ),
    (
        "kvalitet/core/workflow.py",
        "a step needs the item to be visible",
        '        if not can(user, "view", item):\n            raise NotFound()',
        "        if False:\n            raise NotFound()",
    ),
    (
        "kvalitet/core/workflow.py",
        "a stale version is a conflict",
        "        check_version(item, expected_version)\n        problems",
        "        problems",
    ),
    (
        "kvalitet/core/workflow.py",
        "closed_at is cleared on reopen",
        "    elif old_status in workflow.closed_states:\n        item.closed_at = None",
        "    elif False:\n        item.closed_at = None",
    ),
    (
        "kvalitet/core/workflow.py",
        "a system step must be declared for the system",
        "if transition is None or SYSTEM not in transition.roles:",
        "if transition is None:",
    ),
    (
        "kvalitet/core/workflow.py",
        "a system step refuses a cancelled item",
        '        if item.is_cancelled:\n            raise WorkflowRefused("Ärendet är makulerat.")',
        '        if False:\n            raise WorkflowRefused("Ärendet är makulerat.")',
    ),
]


def copy_tree() -> None:
    for name in ("kvalitet", "tests", "templates", "static"):
        shutil.copytree(ROOT / name, WORK / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", WORK / "pyproject.toml")


def run_tests() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
        cwd=WORK, capture_output=True, text=True,
    )  # fmt: skip
    return result.returncode == 0


def main() -> int:
    copy_tree()
    if not run_tests():
        print("The guard tests fail without any mutant: fix them first.")
        return 2
    survivors = []
    for path, guard, original, mutated in MUTANTS:
        file = WORK / path
        source = file.read_text()
        if source.count(original) != 1:
            print(f"?  {path}: guard text not found once: {guard}")
            survivors.append(guard)
            continue
        file.write_text(source.replace(original, mutated))
        try:
            killed = not run_tests()
        finally:
            file.write_text(source)
        print(f"{'killed  ' if killed else 'SURVIVED'}  {path}: {guard}")
        if not killed:
            survivors.append(guard)
    print(f"\n{len(MUTANTS) - len(survivors)} of {len(MUTANTS)} mutants killed, "
          f"{len(survivors)} survived.")  # fmt: skip
    shutil.rmtree(WORK, ignore_errors=True)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())

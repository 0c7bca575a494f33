"""One class per name across the platform.

Two classes with one name (ranking's `Standing` beside scoring's, notify's `Links` beside the site's) make a
reader guess which is meant at every import and let a wrong import type-check by luck. The walk reads the
source (ast), so it needs no import of any service and sees every module, including ones no test imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A class's own options (marshmallow's `class Meta:` inside a schema) live in its namespace, not the platform's.
NESTED_OPTIONS = {"Meta"}


def classes(tree: ast.AST) -> list[str]:
    """Every class a module defines, at any depth, except a class's own `Meta` options."""
    options = {id(child) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
               for child in node.body if isinstance(child, ast.ClassDef) and child.name in NESTED_OPTIONS}
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and id(node) not in options]


def where_defined(roots: tuple[str, ...] = ("services", "shared")) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            for name in classes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                found[name].append(str(path.relative_to(ROOT)))
    return found


def test_no_two_classes_share_a_name():
    shared = {name: paths for name, paths in where_defined().items() if len(paths) > 1}
    assert not shared, f"one class per name, please: {shared}"


def test_the_walk_sees_a_repeated_name(tmp_path):
    """The check itself: two modules that each define `Links` are reported, a schema's `Meta` is not."""
    (tmp_path / "one.py").write_text("class Links:\n    class Meta:\n        pass\n")
    (tmp_path / "two.py").write_text("class Links:\n    class Meta:\n        pass\n\ndef f():\n    class Inner: ...\n")
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(tmp_path.glob("*.py")):
        for name in classes(ast.parse(path.read_text())):
            found[name].append(path.name)
    assert found == {"Links": ["one.py", "two.py"], "Inner": ["two.py"]}

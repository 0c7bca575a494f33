"""The platform's font is reached through `shared.fonts` only: no module names a font file or builds the
fonts folder's path by hand (three did, each from its own `parents[n]`), so moving or re-subsetting the
font is one change."""

from __future__ import annotations

import ast
from pathlib import Path

from shared import fonts

ROOT = Path(__file__).resolve().parents[2]
ACCESSOR = ROOT / "shared" / "fonts" / "__init__.py"


def font_literals(path: Path) -> list[str]:
    """String constants naming a font file (.ttf/.otf/.woff2), and paths built to a folder of the
    project's own fonts (`… / "channels" / "fonts"`, `… / "shared" / "fonts"`), in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and node.value.lower().endswith((".ttf", ".otf", ".woff2"))]
    for node in ast.walk(tree):
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _text(node.right) == "fonts"
                and isinstance(node.left, ast.BinOp) and _text(node.left.right) in ("channels", "shared")):
            found.append(f"line {node.lineno}: a hand-built path to the fonts")
    return found


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def test_the_accessor_names_files_that_exist():
    assert fonts.REGULAR.is_file() and fonts.BOLD.is_file() and fonts.LICENSE.is_file()
    assert fonts.REGULAR.parent == fonts.BOLD.parent == fonts.FONT_DIR


def test_no_module_names_a_font_file_but_the_accessor():
    offenders = {}
    for root in ("services", "shared", "deploy", "bench"):
        for path in (ROOT / root).rglob("*.py"):
            if path != ACCESSOR and (found := font_literals(path)):
                offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, f"use shared.fonts (FONT_DIR, REGULAR, BOLD): {offenders}"

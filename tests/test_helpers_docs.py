"""Each public name in helpers says, in its docstring, which lesson introduces it (d2l style)."""

import ast
import re
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent / "helpers"


def test_every_public_helper_names_the_lesson_that_introduces_it():
    missing = []
    for module in sorted(HELPERS.glob("*.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not re.search(r"aulas? \d\d", ast.get_docstring(node) or ""):
                    missing.append(f"{module.name}:{node.name}")
    assert missing == []

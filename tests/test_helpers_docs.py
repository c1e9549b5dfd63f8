"""Each public name in helpers says, in its docstring, which lesson introduces it (d2l style),
and that lesson is the first one that really uses it."""

import ast
import re
from pathlib import Path

from instructor.build import SETUP_CELL
from instructor.layout import lesson_files

HELPERS = Path(__file__).resolve().parent.parent / "helpers"


def public_helpers() -> dict[str, str]:
    """'module:name' -> docstring, for every public function and class of the package."""
    found = {}
    for module in sorted(HELPERS.glob("*.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                found[f"{module.stem}:{node.name}"] = ast.get_docstring(node) or ""
    return found


def first_lesson_using(name: str) -> str | None:
    """The number of the first lesson whose text (or the setup cell every lesson gets) uses name."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for path in lesson_files():
        if word.search(path.read_text(encoding="utf-8")) or word.search(SETUP_CELL):
            return path.stem[:2]
    return None


def test_every_public_helper_names_the_lesson_that_introduces_it():
    missing = [key for key, doc in public_helpers().items() if not re.search(r"aulas? \d\d", doc)]
    assert missing == []


def test_the_lesson_named_is_the_first_that_uses_the_helper():
    wrong = []
    for key, doc in public_helpers().items():
        first = first_lesson_using(key.split(":")[1])
        named = re.search(r"aulas? (\d\d)", doc)
        if first is not None and named and named.group(1) != first:
            wrong.append(f"{key}: docstring diz aula {named.group(1)}, primeiro uso na aula {first}")
    assert wrong == []

"""The graded exercises' public contract, read from the copy kept beside this module.

``exercise-contract.md`` is a verbatim copy of ``../shared/exercise-contract.md`` (a test
checks they agree when the shared one is there): the contract travels with the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

CONTRACT = Path(__file__).with_name("exercise-contract.md")


def load_contract(path: Path = CONTRACT) -> dict[str, dict[str, float]]:
    """{lesson id: {exercise name: points}} in the contract's order."""
    lessons: dict[str, dict[str, float]] = {}
    current = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (\d\d_\w+)", line)
        if heading:
            current = lessons.setdefault(heading.group(1), {})
            continue
        row = re.match(r"\| `(\w+)` \|[^|]*\| (\d+(?:\.\d+)?) \|", line)
        if current is not None and row:
            current[row.group(1)] = float(row.group(2))
    return lessons

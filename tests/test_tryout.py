"""`python -m instructor tryout`: a lesson's tests, hidden ones included, against a file."""

from pathlib import Path

from instructor.build import build_lesson
from instructor.tryout import tryout

FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "90_good.py"


def test_right_answer_passes_and_wrong_one_fails_hidden_tests_too(tmp_path):
    build_lesson(FIXTURE, tmp_path / "source")
    right = tryout("90_good", "def double(x):\n    return x + x\n", root=tmp_path)
    assert [(v.test, v.passed) for v in right] == [("test_double", True)]
    # double(3) == 6 holds but the hidden double(-1.5) == -3.0 does not
    wrong = tryout("90_good", "def _f(x):\n    return 6 if x == 3 else 0\n\ndef double(x):\n    return _f(x)\n",
                   root=tmp_path)
    assert [(v.test, v.passed) for v in wrong] == [("test_double", False)]
    assert wrong[0].message.startswith("AssertionError")

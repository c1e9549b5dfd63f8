"""The build (notebooks/<id>.py -> source/<id>/<id>.ipynb): markers, metadata, errors."""

import textwrap

import nbformat
import pytest

from instructor.build import BuildError, build_notebook, notebook_text

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "lessons"

TITLE = "# %% [markdown]\n# # Título\n\n"
EXERCISE = '# %% exercise="double"\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\n'
TEST = '# %% test="test_double" points=2\nassert double(2) == 4\nprint("ok")\n'


def lesson(tmp_path, text, name="50_demo.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def nbgrader_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata}


def test_markers_become_schema_3_metadata(tmp_path):
    nb = build_notebook(lesson(tmp_path, TITLE + EXERCISE + TEST))
    cells = nbgrader_cells(nb)
    assert cells["double"] == {
        "grade": False, "grade_id": "double", "locked": False,
        "schema_version": 3, "solution": True, "task": False,
    }
    assert cells["test_double"] == {
        "grade": True, "grade_id": "test_double", "locked": True, "points": 2,
        "schema_version": 3, "solution": False, "task": False,
    }
    assert nb.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(nb)


def test_setup_cell_follows_the_title(tmp_path):
    nb = build_notebook(lesson(tmp_path, TITLE + EXERCISE + TEST))
    assert nb.cells[0].cell_type == "markdown"
    assert "get_device()" in nb.cells[1].source
    assert "pip" in nb.cells[1].source


def test_build_is_deterministic(tmp_path):
    path = lesson(tmp_path, TITLE + EXERCISE + TEST)
    first = notebook_text(build_notebook(path))
    assert first == notebook_text(build_notebook(path))
    assert '"id": "double"' in first  # ids come from the content, not from random uuids


BROKEN = {
    "unquoted value": (TITLE + EXERCISE.replace('"double"', "double") + TEST, "mal escrito"),
    "unknown marker": (TITLE + EXERCISE + TEST.replace("points=2", "points=2 pontos=1"), "desconhecido"),
    "duplicate id": (TITLE + EXERCISE + TEST + TEST, "repetido"),
    "solution outside exercise": (TITLE + EXERCISE + TEST + "# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "fora"),
    "unbalanced solution": (TITLE + EXERCISE.replace("    ### END SOLUTION\n", "") + TEST, "par"),
    "exercise without region": (TITLE + '# %% exercise="double"\ndef double(x):\n    return 2 * x\n\n' + TEST, "sem região"),
    "test without points": (TITLE + EXERCISE + TEST.replace(" points=2", ""), "sem points"),
    "negative points": (TITLE + EXERCISE + TEST.replace("points=2", "points=-1"), "positivo"),
    "exercise without test": (TITLE + EXERCISE, "sem célula de teste"),
    "test without exercise": (TITLE + EXERCISE + TEST + TEST.replace("test_double", "test_triple"), "nenhum exercício"),
    "test ending in expression": (TITLE + EXERCISE + TEST.replace('print("ok")', "double(2) == 4"), "expressão"),
    "hidden tests in exercise": (TITLE + EXERCISE.replace("    ### END SOLUTION\n", "    ### END SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n") + TEST, "ocultos"),
    "misspelled delimiter": (TITLE + EXERCISE.replace("### END SOLUTION", "### END SOLUTIONS") + TEST, "mal escrito"),
    "no title": (EXERCISE + TEST, "título"),
    "title not first": ("# %%\nx = 1\n\n" + TITLE + EXERCISE + TEST, "título"),
    "first markdown is not a title": ("# %% [markdown]\n# texto sem título\n\n" + EXERCISE + TEST, "título"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_build_rejects_with_file_cell_and_line(tmp_path, case):
    text, fragment = BROKEN[case]
    path = lesson(tmp_path, text)
    with pytest.raises(BuildError) as info:
        build_notebook(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message


def test_error_names_the_offending_cell_and_line(tmp_path):
    path = lesson(tmp_path, TITLE + EXERCISE + TEST.replace(" points=2", ""))
    with pytest.raises(BuildError, match=r"célula 3 \(linha 10\)"):
        build_notebook(path)


def test_test_cell_belongs_to_longest_exercise_name(tmp_path):
    onehot = EXERCISE.replace("double", "double_onehot") + TEST.replace("test_double", "test_double_onehot_hidden")
    nb = build_notebook(lesson(tmp_path, TITLE + EXERCISE + TEST + onehot))
    assert set(nbgrader_cells(nb)) == {"double", "test_double", "double_onehot", "test_double_onehot_hidden"}


def test_fixture_lessons_build():
    for path in sorted(FIXTURES.glob("*.py")):
        build_notebook(path)


def test_a_cell_may_hold_several_solution_regions(tmp_path):
    klass = (
        '# %% exercise="Double"\nclass Double:\n    def __init__(self):\n        ### BEGIN SOLUTION\n'
        '        self.k = 2\n        ### END SOLUTION\n\n    def __call__(self, x):\n'
        '        ### BEGIN SOLUTION\n        return self.k * x\n        ### END SOLUTION\n\n'
    )
    test = '# %% test="test_Double" points=1\nassert Double()(2) == 4\nprint("ok")\n'
    nb = build_notebook(lesson(tmp_path, TITLE + klass + test))
    assert nbgrader_cells(nb)["Double"]["solution"] is True


@pytest.mark.parametrize("body", [
    "    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n    ### END SOLUTION\n",
    "    ### END SOLUTION\n    return 2 * x\n    ### BEGIN SOLUTION\n",
])
def test_nested_or_reversed_regions_are_refused(tmp_path, body):
    text = TITLE + '# %% exercise="double"\ndef double(x):\n' + body + "\n" + TEST
    with pytest.raises(BuildError, match="SOLUTION"):
        build_notebook(lesson(tmp_path, text))


def test_test_cells_are_tagged_so_run_all_goes_on(tmp_path):
    nb = build_notebook(lesson(tmp_path, TITLE + EXERCISE + TEST))
    tags = {c.metadata.get("nbgrader", {}).get("grade_id"): c.metadata.get("tags", []) for c in nb.cells}
    assert tags["test_double"] == ["raises-exception"]
    assert tags["double"] == []


def test_readme_lesson_table_is_generated_from_the_lessons_and_the_package_metadata():
    from instructor.build import package_metadata, readme_table, with_readme_table
    from instructor.layout import REPO, lesson_files

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert with_readme_table(readme, readme_table(lesson_files())) == readme, "rode `python -m instructor build`"
    repository, version = package_metadata()
    assert f"{repository.removeprefix('https://github.com/')}/blob/v{version}/release/" in readme


def test_setup_cell_installs_the_package_at_the_tag_of_its_version(tmp_path):
    from instructor.build import package_metadata

    repository, version = package_metadata()
    nb = build_notebook(lesson(tmp_path, TITLE + EXERCISE + TEST))
    assert f"git+{repository}@v{version}" in nb.cells[1].source

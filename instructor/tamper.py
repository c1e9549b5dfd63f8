"""Tamper report: reads a submission's own cells (their syntax tree) for ways to fool the grader.

nbgrader runs the student's code in the same kernel as the tests, with the grader's rights. A cell
can rebind what the tests rely on (``helpers.checks``, ``torch.testing.assert_close``, builtins,
``sys.modules``), hook IPython so the test cells never run, or read the solutions and the
gradebook. This module finds such code statically, so the grader can flag the submission for
manual review with the cell that did it. It never flags an answer that merely uses torch: the
tests (tests/test_tamper.py) scan every reference solution and hand-written correct variants.

What is scanned: the submission's solution cells and every code cell that is not verbatim an
instructor cell (edited demo cells, scratch cells). Test cells are skipped: nbgrader overwrites
them from ``source/``. A cell that does not parse is skipped too: it cannot run, so it is a wrong
answer, not an attack. IPython syntax (``%magic``, ``!cmd``) is translated first, the way the
kernel does, and the bodies of ``%time``/``%%timeit``/``%%capture`` are scanned like any code.

The checks, by kind (each reason names what was done):

- writes (assignment, augmented assignment, ``del``, ``for``/``with`` targets, ``setattr``,
  ``delattr``, ``__setattr__``, ``vars(x)[k] =``, ``x.__dict__[k] =``, ``update``/``pop``/...) on
  anything rooted at ``helpers``, ``torch``, ``builtins``/``__builtins__``, ``sys``, ``IPython``,
  ``__main__``, ``math``, ``numpy``, ``os``, ``importlib``, the IPython shell or ``globals()``,
  followed through aliases (``import torch as t``, ``from torch import testing``, ``x = torch``,
  ``sys.modules["torch"]``, ``getattr(torch, "testing")``). Allowed: ``torch.backends.*`` and
  ``os.environ`` settings;
- the IPython shell: its input/AST transformers, events, magics registry, custom exception hooks,
  ``showtraceback``, ``user_ns`` (anything of ``get_ipython()`` but running an allowed magic);
  magics other than harmless ones (``%matplotlib``, ``%pip``, ``%time``...); shell escapes (``!``);
- top-level rebinding of a name the instructor's cells import (``def assert_close``) or of a
  builtin the tests call (``isinstance = ...``), also from a function through ``global``;
- code execution and introspection: ``exec``, ``eval``, ``compile``, ``__import__``,
  ``importlib.import_module``/``reload``, ``gc.get_referrers``/``get_objects``, frames
  (``sys._getframe``, ``f_globals``, ``__globals__``), ``torch.library``, dispatch modes;
- imports of ``sqlite3``, ``nbgrader``, ``ctypes``, ``subprocess``, ``socket``, ``shutil``,
  ``unittest.mock`` and the like; ``os.system``, ``os.remove``, ``os.chdir`` and the like;
- files outside the working copy: a path built from literals (strings, f-strings,
  ``Path(...) / ...``, ``os.path.join``, ``.parent``) that is absolute, goes up (``..``), starts
  with ``~`` or names ``source``, ``gradebook``, a ``.db``, ``nbgrader``, ``helpers``,
  ``submitted`` or ``autograded``, given to a file function (``open``, ``Path.read_text``,
  ``os.listdir``, ``glob.glob``, ``torch.load``...); one that goes up or names those is flagged
  in any call;
- a class defining ``__eq__``, ``__bool__``, ``__torch_function__``...: a value that can lie to
  the tests' comparisons.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nbformat import NotebookNode


@dataclass(frozen=True)
class Hit:
    cell: int  # index of the cell in the submission
    where: str  # the cell's nbgrader grade_id, or f"célula {cell + 1}"
    line: int  # line in the cell (1-based)
    reason: str  # Portuguese, names what was done


# ---------------------------------------------------------------------------------------------
# What is protected
# ---------------------------------------------------------------------------------------------

IPYTHON = "<ipython>"  # the shell object, from get_ipython()
GLOBALS = "<globals>"  # the notebook's namespace, from globals()

# Writes to anything under these roots are flagged.
PROTECTED_ROOTS = frozenset({
    "helpers", "torch", "builtins", "sys", "IPython", "__main__", "math", "numpy", "os",
    "importlib", IPYTHON, GLOBALS,
})
# Configuration a correct answer may set.
WRITE_ALLOWED = ("torch.backends", "os.environ")

# Imports that an answer about PyTorch never needs and that reach the gradebook, the files or
# other processes, or patch objects by name.
FORBIDDEN_IMPORTS = frozenset({
    "sqlite3", "sqlalchemy", "nbgrader", "ctypes", "_ctypes", "cffi", "subprocess", "socket",
    "shutil", "pty", "runpy", "code", "codeop", "marshal", "ipykernel", "jupyter_client",
    "unittest.mock", "mock",
})

# Using (calling, or even naming) any of these is flagged; a name ending in "." is a prefix.
DANGEROUS = frozenset({
    "builtins.exec", "builtins.eval", "builtins.compile", "builtins.__import__",
    "builtins.breakpoint",
    "importlib.import_module", "importlib.reload", "importlib.__import__",
    "importlib.util.spec_from_file_location", "importlib.util.module_from_spec",
    "importlib.machinery.",
    "gc.get_referrers", "gc.get_referents", "gc.get_objects",
    "os.system", "os.popen", "os.remove", "os.unlink", "os.rmdir", "os.removedirs", "os.rename",
    "os.renames", "os.replace", "os.chmod", "os.chown", "os.lchown", "os.link", "os.symlink",
    "os.truncate", "os.chdir", "os.fchdir", "os.chroot", "os.kill", "os.killpg", "os.fork",
    "os.forkpty", "os.exec", "os.spawn", "os.posix_spawn", "os.startfile",
    "sys._getframe", "sys.settrace", "sys.setprofile", "sys.addaudithook",
    "inspect.currentframe", "inspect.stack", "inspect.getouterframes", "inspect.trace",
    "inspect.getfile", "inspect.getsourcefile", "importlib.util.find_spec", "importlib.resources.",
    "threading.settrace", "atexit.register", "types.FunctionType", "types.CodeType",
    "IPython.core.magic.register_line_magic", "IPython.core.magic.register_cell_magic",
    "IPython.core.magic.register_line_cell_magic",
    "torch.library.", "torch.overrides.", "torch.utils._python_dispatch.",
})
DANGEROUS_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")

# Attributes for introspecting frames and functions: how code reaches the tests' namespace.
INTROSPECTION_ATTRS = frozenset({
    "__globals__", "__code__", "__closure__", "__subclasses__", "__builtins__", "f_globals",
    "f_locals", "f_back", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
})
# IPython's hooks, flagged on any object: no PyTorch answer touches them.
IPYTHON_ATTRS = frozenset({
    "input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
    "ast_transformers", "register_magic_function", "register_magics", "set_custom_exc",
    "custom_exceptions", "set_hook", "showtraceback", "_showtraceback", "showsyntaxerror",
    "prefilter_manager", "user_ns_hidden", "user_global_ns",
})
# Attribute names of the checkers the tests call through a module (torch.allclose, sys.modules).
CHECKER_ATTRS = frozenset({"assert_close", "allclose", "equal", "isclose", "testing", "modules"})
# Where a module's files are: the way to rewrite helpers/checks.py without naming it.
MODULE_FILE_ATTRS = frozenset({"__file__", "__path__", "__spec__", "__loader__"})
EVENTS_ATTRS = frozenset({"register", "unregister", "callbacks"})  # of shell.events

# Methods that change a container in place.
MUTATORS = frozenset({
    "update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__", "insert",
    "append", "extend", "remove",
})

# Methods on a class that let a returned value lie to the tests' comparisons and checks.
LYING_DUNDERS = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__instancecheck__",
    "__subclasscheck__", "__class__", "__torch_function__", "__torch_dispatch__", "__float__",
    "__int__", "__index__", "__abs__", "__round__", "__getattribute__",
})

# Magics an answer may use. The bodies of the "scan" ones run as Python and are scanned.
LINE_MAGICS_OK = frozenset({
    "matplotlib", "pip", "conda", "mamba", "autoreload", "tensorboard", "env", "who", "whos",
    "who_ls", "pinfo", "pinfo2", "pdoc", "pdef", "lsmagic", "magic", "quickref", "history",
    "xmode", "precision", "pwd",
})
LINE_MAGICS_SCAN = frozenset({"time", "timeit", "prun"})
CELL_MAGICS_OK = frozenset({"html", "markdown", "latex", "svg", "javascript", "js"})
CELL_MAGICS_SCAN = frozenset({"time", "timeit", "capture", "prun"})
EXTENSIONS_OK = frozenset({"autoreload", "tensorboard"})

# Functions that open, list or load a file given its path.
FILE_FUNCTIONS = frozenset({
    "builtins.open", "io.open", "os.open", "codecs.open", "os.listdir", "os.scandir", "os.walk",
    "os.stat", "os.lstat", "os.access", "os.makedirs", "os.mkdir", "os.path.exists",
    "os.path.isfile", "os.path.isdir", "os.path.getsize", "os.path.getmtime", "glob.glob",
    "glob.iglob", "torch.load", "torch.save", "numpy.load", "numpy.save", "numpy.loadtxt",
    "numpy.savetxt", "numpy.fromfile", "tarfile.open", "zipfile.ZipFile", "sqlite3.connect",
    "pandas.read_csv", "pandas.read_json", "pandas.read_pickle", "pickle.load",
    "torch.utils.tensorboard.SummaryWriter",
})
PATH_METHODS = frozenset({
    "read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "rename", "replace",
    "touch", "mkdir", "rmdir", "chmod", "glob", "rglob", "iterdir", "walk", "symlink_to",
    "hardlink_to", "exists", "is_file", "is_dir", "stat", "readlink",
})
PATH_CONSTRUCTORS = frozenset({
    "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
    "os.path.join", "os.path.abspath", "os.path.realpath", "os.path.normpath",
    "os.path.expanduser", "os.fspath", "builtins.str",
})
SECRET_NAMES = ("source", "gradebook", "nbgrader", "helpers", "submitted", "autograded")

# Instructor imports that count for shadowing when they come from a setup or demo cell (a test
# cell's imports all count).
TEST_ROOTS = frozenset({"helpers", "torch", "numpy", "math"})
# Names the grader itself evaluates in the notebook's namespace (helpers.integrity.report).
GRADER_NAMES = frozenset({"__import__", "__builtins__", "globals", "get_ipython"})


# ---------------------------------------------------------------------------------------------
# Notebook side: which cells, which names
# ---------------------------------------------------------------------------------------------


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_solution(cell) -> bool:
    return bool(_nbgrader(cell).get("solution"))


def _is_test(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def _overwritten_ids(source: NotebookNode) -> set[str]:
    """grade_ids of the cells nbgrader restores from source at autograde (locked, not answers)."""
    return {
        _nbgrader(c)["grade_id"] for c in source.cells
        if _nbgrader(c).get("grade_id") and _nbgrader(c).get("locked") and not _is_solution(c)
    }


def student_cells(submission: NotebookNode, source: NotebookNode) -> list[int]:
    """The submission's own code cells: solution cells and code cells not verbatim in ``source``.

    A cell carrying the grade_id of a locked source cell is skipped: nbgrader replaces it with
    the source's. The decision reads ``source``'s metadata, never what the student wrote.
    """
    instructor = {c.source.strip() for c in source.cells if c.cell_type == "code"}
    overwritten = _overwritten_ids(source)
    own = []
    for i, cell in enumerate(submission.cells):
        if cell.cell_type != "code":
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in overwritten:
            continue
        if _is_solution(cell) or cell.source.strip() not in instructor:
            own.append(i)
    return own


@functools.cache
def _ipython_translator():
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # no IPython: plain Python is all a cell can hold
        return None
    return TransformerManager()


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ast.Module | None:
    """The cell as the kernel runs it (IPython syntax translated), or None if it cannot run.
    Cached: the instructor's cells are read for every submission. The trees are never changed."""
    translator = _ipython_translator()
    try:
        text = translator.transform_cell(text) if translator else text
    except Exception:  # IPython could not translate it: the kernel would not run it either
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _scope_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``node``'s own scope: nested functions, classes and comprehensions are yielded
    but not entered."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, _SCOPES):
            yield from _scope_nodes(child)


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (*_FUNCTIONS, ast.ClassDef, *_COMPREHENSIONS)


def _import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
    """(name bound, dotted path it is bound to) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
        return
    module = "." * node.level + (node.module or "")
    for alias in node.names:
        if alias.name != "*":
            yield alias.asname or alias.name, f"{module}.{alias.name}"


def _instructor_bindings(source: NotebookNode) -> dict[str, set[str]]:
    """Name -> dotted paths the instructor's non-solution cells bind it to by a top-level import
    (setup and demo cells: only imports from TEST_ROOTS)."""
    bound: dict[str, set[str]] = {}
    for cell in source.cells:
        if cell.cell_type != "code" or _is_solution(cell):
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        for node in _scope_nodes(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name, path in _import_bindings(node):
                    if _is_test(cell) or path.split(".")[0] in TEST_ROOTS:
                        bound.setdefault(name, set()).add(path)
    return bound


def imported_names(source: NotebookNode) -> dict[str, str]:
    """Names the instructor's non-solution cells import, with the dotted path of each.

    A name imported from two different places in the lesson is left out: no single object is
    "the original" for it.
    """
    return {name: next(iter(paths)) for name, paths in _instructor_bindings(source).items()
            if len(paths) == 1}


def _builtins_used_by_tests(source: NotebookNode) -> set[str]:
    """Builtins the test cells call by name: a top-level rebinding would change the test."""
    loaded, stored = set(), set()
    for cell in source.cells:
        if cell.cell_type == "code" and _is_test(cell) and (tree := _parse(cell.source)):
            names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
            loaded |= {n.id for n in names if isinstance(n.ctx, ast.Load) and hasattr(builtins, n.id)}
            stored |= {n.id for n in names if not isinstance(n.ctx, ast.Load)}
    return loaded - stored


def _all_import_aliases(source: NotebookNode) -> dict[str, str]:
    """Every top-level import of the instructor's non-solution cells: the names student cells
    see already bound (``torch``, ``nn``, ``sys`` from the setup cell)."""
    aliases: dict[str, str] = {}
    for cell in source.cells:
        if cell.cell_type == "code" and not _is_solution(cell) and (tree := _parse(cell.source)):
            for node in _scope_nodes(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    aliases.update(_import_bindings(node))
    return aliases


# ---------------------------------------------------------------------------------------------
# Paths built from literals
# ---------------------------------------------------------------------------------------------


def _suspicious_path(path: str, anywhere: bool = False) -> bool:
    """A path outside the working copy or naming the course's secrets. ``anywhere``: the string
    is an argument of some call, not of a file function; only its ``..`` and secret names count
    (a plain "/tmp" in a print is not a file access)."""
    text = path.replace("\\", "/")
    parts = [p for p in text.split("/") if p]
    if ".." in parts:
        return True
    secret = any(
        p.lower().split(".")[0] in SECRET_NAMES or "gradebook" in p.lower() or p.lower().endswith(".db")
        for p in parts
    )
    if anywhere:
        return secret and ("/" in text or text.lower().endswith(".db"))
    return secret or text.startswith(("/", "~")) or re.match(r"^[A-Za-z]:/", text) is not None


# ---------------------------------------------------------------------------------------------
# The scanner
# ---------------------------------------------------------------------------------------------


class _Scope:
    def __init__(self, kind: str):
        self.kind = kind  # "module", "function", "class", "comprehension"
        self.aliases: dict[str, str | None] = {}  # name -> dotted path, None: a local of unknown value
        self.literals: dict[str, str] = {}  # name -> path string it was assigned
        self.global_names: set[str] = set()


class _Scanner(ast.NodeVisitor):
    """Visits the parsed student cells; records (cell, line, reason)."""

    def __init__(self, module_aliases: dict[str, str], shadowed: dict[str, set[str]],
                 builtin_shadowed: set[str]):
        module = _Scope("module")
        module.aliases.update(module_aliases)
        self.scopes = [module]
        self.shadowed = shadowed  # name -> accepted dotted paths
        self.builtin_shadowed = builtin_shadowed
        # Names of the checkers: rebinding one on an object the scan cannot trace (``get().equal``,
        # ``d["assert_close"]``) is still flagged.
        self.checker_names = CHECKER_ATTRS | {
            name for name, paths in shadowed.items()
            if any(p.startswith(("helpers.checks.", "torch")) for p in paths)
        }
        self.accepted_stores: set[int] = set()  # ids of Name nodes rebound to what they were
        self.hits: list[tuple[int, int, str]] = []
        self.cell = 0
        self.line_offset = 0

    # ---- recording -----------------------------------------------------------------------

    def flag(self, node: ast.AST, reason: str) -> None:
        self.hits.append((self.cell, getattr(node, "lineno", 1) + self.line_offset, reason))

    def scan_tree(self, tree: ast.Module, cell: int, line_offset: int = 0) -> None:
        saved = self.cell, self.line_offset
        self.cell, self.line_offset = cell, line_offset
        self.visit(tree)
        self.cell, self.line_offset = saved

    def scan_text(self, text: str, node: ast.AST, line_offset: int) -> None:
        """Scans code held in a string (the body of %%time): a cell inside the cell."""
        tree = _parse(text)
        if tree is not None:
            self.scan_tree(tree, self.cell, self.line_offset + getattr(node, "lineno", 1) - 1 + line_offset)

    # ---- names and aliases ---------------------------------------------------------------

    def lookup(self, name: str) -> tuple[bool, str | None]:
        innermost = self.scopes[-1]
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not innermost:
                continue  # class bodies are not visible from their methods
            if name in scope.aliases and name not in scope.global_names:
                return True, scope.aliases[name]
        return False, None

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted path an expression stands for (``t.testing`` -> ``torch.testing``), or None."""
        if isinstance(node, ast.Name):
            found, path = self.lookup(node.id)
            if found:
                return path
            if node.id == "__builtins__":
                return "builtins"
            if node.id == "get_ipython":
                return "IPython.get_ipython"
            return f"builtins.{node.id}" if hasattr(builtins, node.id) else None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self.resolve_call(node)
        if isinstance(node, ast.Subscript):
            return self.resolve_subscript(node)
        return None

    def resolve_call(self, node: ast.Call) -> str | None:
        func = self.resolve(node.func)
        if func is None:
            return None
        args = node.args
        literal = _string(args[1] if func == "builtins.getattr" and len(args) > 1 else args[0]) if args else None
        if func.endswith("get_ipython") or func.endswith("InteractiveShell.instance"):
            return IPYTHON
        if func == "builtins.globals" or (func in ("builtins.locals", "builtins.vars") and not args
                                          and self.scopes[-1].kind == "module"):
            return GLOBALS
        if func == "builtins.vars" and args:
            base = self.resolve(args[0])
            return f"{base}.__dict__" if base else None
        if func == "builtins.getattr" and literal:
            base = self.resolve(args[0])
            return f"{base}.{literal}" if base else None
        if func in ("builtins.__import__", "importlib.import_module", "sys.modules.get") and literal:
            return literal
        return None

    def resolve_subscript(self, node: ast.Subscript) -> str | None:
        base = self.resolve(node.value)
        key = _string(node.slice)
        if base is None or key is None:
            return None
        if base == "sys.modules":
            return key
        if base == GLOBALS:
            found, path = self.lookup(key)
            return path if found else None
        if base.endswith(".__dict__"):
            return f"{base[: -len('.__dict__')]}.{key}"
        return None

    def path_value(self, node: ast.AST) -> str | None:
        """The path string an expression builds from literals (``Path("..") / "source"``), or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(
                v.value if isinstance(v, ast.Constant) else (self.path_value(v.value) or "{}")
                for v in node.values
            )
        if isinstance(node, ast.BinOp):
            return self.path_binop(node)
        if isinstance(node, ast.Name):
            return self.path_of_name(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base = self.path_value(node.value)
            return f"{base}/.." if base is not None else None
        if isinstance(node, ast.Call):
            return self.path_call(node)
        return None

    def path_binop(self, node: ast.BinOp) -> str | None:
        left, right = self.path_value(node.left), self.path_value(node.right)
        if isinstance(node.op, ast.Mult) and left is not None and isinstance(node.right, ast.Constant):
            return left * node.right.value if isinstance(node.right.value, int) else None
        if left is None and right is None:
            return None
        joiner = "/" if isinstance(node.op, ast.Div) else ""
        if isinstance(node.op, ast.Add | ast.Div):
            return f"{left if left is not None else '{}'}{joiner}{right if right is not None else '{}'}"
        return None

    def path_of_name(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if name in scope.literals:
                return scope.literals[name]
            if name in scope.aliases:
                return None
        return None

    def path_call(self, node: ast.Call) -> str | None:
        func = self.resolve(node.func)
        parts = [self.path_value(a) for a in node.args]
        if func in ("os.getcwd", "pathlib.Path.cwd"):
            return "."
        if func == "pathlib.Path.home":
            return "~"
        if func == "os.path.dirname" and parts and parts[0] is not None:
            return f"{parts[0]}/.."
        if func in PATH_CONSTRUCTORS and any(p is not None for p in parts):
            return "/".join(p if p is not None else "{}" for p in parts)
        if isinstance(node.func, ast.Attribute):
            base = self.path_value(node.func.value)
            if base is not None and node.func.attr == "joinpath":
                return "/".join([base, *(p if p is not None else "{}" for p in parts)])
            if base is not None and node.func.attr in ("resolve", "absolute", "expanduser"):
                return base
        return None

    # ---- scopes ----------------------------------------------------------------------------

    def bind_scope(self, scope: _Scope, body: ast.AST, params: list[str]) -> None:
        """Fills a scope's names before it is visited: imports and aliases anywhere in it count."""
        for name in params:
            scope.aliases[name] = None
        for node in _scope_nodes(body):
            if isinstance(node, ast.Global | ast.Nonlocal):
                scope.global_names.update(node.names)
        for node in _scope_nodes(body):
            self.bind_node(scope, node)

    def bind_node(self, scope: _Scope, node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name, path in _import_bindings(node):
                scope.aliases[name] = path
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope.aliases.setdefault(node.name, None)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            scope.aliases.setdefault(node.id, None)
        elif isinstance(node, ast.Assign):
            self.bind_assign(scope, node)

    def bind_assign(self, scope: _Scope, node: ast.Assign) -> None:
        self.scopes.append(scope)
        try:
            path, literal = self.resolve(node.value), self.path_value(node.value)
        finally:
            self.scopes.pop()
        for target in node.targets:
            if not isinstance(target, ast.Name):
                continue
            if path and path.split(".")[0] in PROTECTED_ROOTS | {"IPython", "gc", "inspect", "ctypes"}:
                scope.aliases[target.id] = path  # a protected alias wins over other bindings
            if literal is not None:
                scope.literals[target.id] = literal

    def enter(self, kind: str, node: ast.AST, body: ast.AST, params: list[str]) -> None:
        scope = _Scope(kind)
        self.bind_scope(scope, body, params)
        self.scopes.append(scope)
        try:
            self.generic_visit(node)
        finally:
            self.scopes.pop()

    def untraced(self, receiver: ast.AST, name: str) -> bool:
        """A checker's name written on an object whose origin the scan does not know (not self)."""
        return name in self.checker_names and not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"))

    def at_module_level(self, name: str) -> bool:
        scope = self.scopes[-1]
        return scope.kind == "module" or name in scope.global_names

    # ---- visitors: definitions -------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> None:
        for child in _scope_nodes(node):
            self.bind_node(self.scopes[0], child)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.check_definition(node, node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self.scan_body("function", node.body, _params(node.args))

    def scan_body(self, kind: str, statements: list[ast.stmt], params: list[str]) -> None:
        """The statements of a def or class body, in their own scope."""
        scope = _Scope(kind)
        self.bind_scope(scope, _Body(statements), params)
        self.scopes.append(scope)
        try:
            for stmt in statements:
                self.visit(stmt)
        finally:
            self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.enter("function", node, node.body, _params(node.args))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.check_definition(node, node.name)
        for stmt in node.body:
            names = [stmt.name] if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) else [
                t.id for t in getattr(stmt, "targets", []) if isinstance(t, ast.Name)]
            for name in names:
                if name in LYING_DUNDERS:
                    self.flag(stmt, f"define {name} na classe {node.name}: um valor que pode "
                                    "enganar as comparações dos testes")
        for base in [*node.bases, *node.decorator_list, *(k.value for k in node.keywords)]:
            self.visit(base)
        self.scan_body("class", node.body, [])

    def visit_comprehension_scope(self, node: ast.AST) -> None:
        targets = [n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)]
        self.enter("comprehension", node, _Body([]), targets)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_comprehension_scope

    def check_definition(self, node: ast.AST, name: str) -> None:
        if self.at_module_level(name):
            self.check_rebinding(node, name, None)

    def check_rebinding(self, node: ast.AST, name: str, path: str | None) -> None:
        """A top-level binding of ``name`` to ``path`` (None: not an alias of anything)."""
        if name in self.shadowed and path not in self.shadowed[name]:
            origin = " ou ".join(sorted(self.shadowed[name]))
            self.flag(node, f"redefine {name}, que os testes importam de {origin}")
        elif name in self.builtin_shadowed and path != f"builtins.{name}":
            self.flag(node, f"redefine {name}, função embutida usada pelos testes e pela correção")

    # ---- visitors: imports and assignments -------------------------------------------------

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for name, path in _import_bindings(node):
            full = path if isinstance(node, ast.ImportFrom) else _imported_module(node, name)
            if _forbidden_import(full):
                self.flag(node, f"importa {full}")
            elif _dangerous(full):
                self.flag(node, f"importa {full}")
            if self.at_module_level(name):
                self.check_rebinding(node, name, path)

    visit_ImportFrom = visit_Import

    def visit_Assign(self, node: ast.Assign) -> None:
        path = self.resolve(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and self.at_module_level(target.id):
                accepted = self.shadowed.get(target.id, set()) | {f"builtins.{target.id}"}
                if path in accepted:
                    self.accepted_stores.add(id(target))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            if id(node) not in self.accepted_stores and self.at_module_level(node.id):
                self.check_rebinding(node, node.id, None)
            return
        if isinstance(node.ctx, ast.Load):
            path = self.resolve(node)
            if path and _dangerous(path):
                self.flag(node, f"usa {_used(path)}")

    # ---- visitors: attributes and subscripts -----------------------------------------------

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.check_attribute(node):
            return  # one reason per chain: ``os.system`` is not also ``os``
        self.generic_visit(node)

    def check_attribute(self, node: ast.Attribute) -> bool:
        path = self.resolve(node)
        if isinstance(node.ctx, ast.Store | ast.Del) and path and _protected(path):
            verb = "apaga" if isinstance(node.ctx, ast.Del) else "reatribui"
            self.flag(node, f"{verb} {_short(path)}")
            return True
        if isinstance(node.ctx, ast.Store | ast.Del) and path is None and self.untraced(node.value, node.attr):
            self.flag(node, f"reatribui {node.attr} de um objeto que a leitura não segue (nome de uma checagem)")
            return True
        if node.attr in IPYTHON_ATTRS:
            self.flag(node, f"mexe no IPython ({node.attr})")
            return True
        if node.attr in EVENTS_ATTRS and _attr_name(node.value) == "events":
            self.flag(node, f"mexe nos eventos do IPython (events.{node.attr})")
            return True
        if node.attr in MODULE_FILE_ATTRS and (base := self.resolve(node.value)) and _protected(base):
            self.flag(node, f"acessa o arquivo de {_short(base)} ({node.attr})")
            return True
        if node.attr in INTROSPECTION_ATTRS:
            self.flag(node, f"acessa {node.attr} (introspecção do interpretador)")
            return True
        if self.resolve(node.value) == IPYTHON and node.attr not in ("run_line_magic", "run_cell_magic"):
            self.flag(node, "executa comando de shell" if node.attr in ("system", "getoutput")
                      else f"mexe no IPython (get_ipython().{node.attr})")
            return True
        if isinstance(node.ctx, ast.Load) and path and _dangerous(path):
            self.flag(node, f"usa {_used(path)}")
            return True
        return False

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            base = self.resolve(node.value)
            if base and _protected(base):
                self.flag(node, f"altera {_described(base, node.slice)}")
                return
            key = _string(node.slice)
            if base is None and key is not None and self.untraced(node.value, key):
                self.generic_visit(node)  # a more precise reason inside (``f_globals``) comes first
                self.flag(node, f"altera a chave {key!r} de um objeto que a leitura não segue (nome de uma checagem)")
                return
        self.generic_visit(node)

    # ---- visitors: calls -------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = self.resolve(node.func)
        for check in (self.check_shell_escape, self.check_setattr, self.check_mutator, self.check_getattr, self.check_magic,
                      self.check_files):
            reason = check(node, func)
            if reason:
                self.flag(node, reason)
                break
        self.generic_visit(node)

    def check_shell_escape(self, node: ast.Call, func: str | None) -> str | None:
        if func in (f"{IPYTHON}.system", f"{IPYTHON}.getoutput"):
            return "executa comando de shell (!)"
        return None

    def check_setattr(self, node: ast.Call, func: str | None) -> str | None:
        args = node.args
        if func in ("builtins.setattr", "builtins.delattr") and args:
            target, name = args[0], args[1] if len(args) > 1 else None
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("__setattr__", "__delattr__"):
            target, name = (args[0], args[1]) if len(args) >= 2 + (node.func.attr == "__setattr__") else (
                node.func.value, args[0] if args else None)
        else:
            return None
        path = self.resolve(target)
        attr = _string(name) if name is not None else None
        if path is None and attr is not None and self.untraced(target, attr):
            return f"reatribui {attr} de um objeto que a leitura não segue (nome de uma checagem)"
        if not path or not _protected(path):
            return None
        return f"reatribui {_short(path)}.{attr}" if attr else f"reatribui um atributo de {_short(path)}"

    def check_mutator(self, node: ast.Call, func: str | None) -> str | None:
        if not (isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS):
            return None
        receiver = self.resolve(node.func.value)
        if receiver and _protected(receiver):
            return f"altera {_short(receiver)} ({node.func.attr})"
        return None

    def check_getattr(self, node: ast.Call, func: str | None) -> str | None:
        if func != "builtins.getattr" or len(node.args) < 2 or _string(node.args[1]) is not None:
            return None
        target = self.resolve(node.args[0])
        if target and target.split(".")[0] in {"builtins", "sys", "os", "importlib", IPYTHON, GLOBALS}:
            return f"getattr com nome calculado em {_short(target)}"
        return None

    def check_magic(self, node: ast.Call, func: str | None) -> str | None:
        if not (isinstance(node.func, ast.Attribute) and self.resolve(node.func.value) == IPYTHON):
            return None
        kind = node.func.attr
        if kind not in ("run_line_magic", "run_cell_magic"):
            return None
        name = _string(node.args[0]) if node.args else None
        line = _string(node.args[1]) if len(node.args) > 1 else ""
        if name is None or line is None:
            return "chama uma mágica do IPython com nome calculado"
        if kind == "run_line_magic":
            return self.check_line_magic(node, name, line)
        body = _string(node.args[2]) if len(node.args) > 2 else ""
        if name in CELL_MAGICS_SCAN and body is not None:
            self.scan_text(body, node, 1)
            return None
        return None if name in CELL_MAGICS_OK else f"usa a mágica %%{name}"

    def check_line_magic(self, node: ast.Call, name: str, line: str) -> str | None:
        if name in LINE_MAGICS_SCAN:
            self.scan_text(_magic_code(line), node, 0)
            return None
        if name in ("load_ext", "reload_ext"):
            return None if line.strip() in EXTENSIONS_OK else f"usa a mágica %{name} {line.strip()}"
        if name == "config":
            return None if line.strip().startswith("InlineBackend") else f"usa a mágica %config {line.strip()}"
        return None if name in LINE_MAGICS_OK else f"usa a mágica %{name}"

    def check_files(self, node: ast.Call, func: str | None) -> str | None:
        values = [self.path_value(a) for a in [*node.args, *(k.value for k in node.keywords)]]
        is_method = isinstance(node.func, ast.Attribute) and node.func.attr in PATH_METHODS
        receiver = self.path_value(node.func.value) if is_method else None
        if func in FILE_FUNCTIONS or receiver is not None:
            for value in [receiver, *values]:
                if value is not None and _suspicious_path(value):
                    return f"acessa arquivo fora da pasta do aluno ({value!r})"
        for value in values:
            if value is not None and _suspicious_path(value, anywhere=True):
                return f"usa um caminho fora da pasta do aluno ({value!r})"
        return None


class _Body(ast.AST):
    """A list of statements seen as one node (a function's body, for _scope_nodes)."""

    _fields = ("body",)

    def __init__(self, body: list[ast.stmt]):
        super().__init__()
        self.body = body


def _params(args: ast.arguments) -> list[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return [a.arg for a in every if a is not None]


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _attr_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _imported_module(node: ast.Import, name: str) -> str:
    """For ``import a.b.c`` (binding ``a``), the module actually imported, ``a.b.c``."""
    for alias in node.names:
        if (alias.asname or alias.name.split(".")[0]) == name:
            return alias.name
    return name


def _forbidden_import(path: str) -> bool:
    return any(path == m or path.startswith(f"{m}.") for m in FORBIDDEN_IMPORTS)


def _dangerous(path: str) -> bool:
    if path in DANGEROUS or path.startswith(DANGEROUS_PREFIXES):
        return True
    return any(d.endswith(".") and path.startswith(d) for d in DANGEROUS) or _forbidden_import(path)


def _protected(path: str) -> bool:
    if path.split(".")[0] not in PROTECTED_ROOTS:
        return False
    return not any(path == a or path.startswith(f"{a}.") for a in WRITE_ALLOWED)


def _short(path: str) -> str:
    """How a reason names a path: ``get_ipython()`` for the shell, ``globals()`` for the namespace."""
    return path.replace(IPYTHON, "get_ipython()").replace(GLOBALS, "globals()")


def _used(path: str) -> str:
    """How a reason names a function it uses: ``exec`` rather than ``builtins.exec``."""
    return _short(path).removeprefix("builtins.")


def _described(base: str, key: ast.AST) -> str:
    literal = _string(key)
    return f"{_short(base)}[{literal!r}]" if literal is not None else _short(base)


def _magic_code(line: str) -> str:
    """The Python of ``%time``/``%timeit``/``%prun`` arguments: options before the code dropped."""
    words = line.split()
    while words and words[0].startswith("-"):
        words.pop(0)
        if words and not words[0].startswith("-") and not re.match(r"^[A-Za-z_]", words[0]):
            words.pop(0)  # an option's value (-n 10)
    return " ".join(words) if words else ""


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def _where(cell, index: int) -> str:
    return _nbgrader(cell).get("grade_id") or f"célula {index + 1}"


def scan(submission: NotebookNode, source: NotebookNode) -> list[Hit]:
    """Every suspicious statement of the submission's own cells, one hit per line, in cell order."""
    own = student_cells(submission, source)
    trees = {i: tree for i in own if (tree := _parse(submission.cells[i].source)) is not None}
    shadowed = _instructor_bindings(source)
    builtin_shadowed = (_builtins_used_by_tests(source) | GRADER_NAMES) - set(shadowed)
    scanner = _Scanner(_all_import_aliases(source), shadowed, builtin_shadowed)
    for tree in trees.values():  # names bound in one cell are seen by the others
        for node in _scope_nodes(tree):
            scanner.bind_node(scanner.scopes[0], node)
    for i, tree in trees.items():
        scanner.scan_tree(tree, i)
    hits, seen = [], set()
    for cell, line, reason in sorted(scanner.hits, key=lambda h: (h[0], h[1])):
        if (cell, line) not in seen:
            seen.add((cell, line))
            hits.append(Hit(cell, _where(submission.cells[cell], cell), line, reason))
    return hits


def report(hits: list[Hit]) -> str:
    """The hits as one Portuguese line for the summary ("" when there is none)."""
    return "; ".join(
        f"{h.where if h.where.startswith('célula ') else 'célula ' + h.where}, linha {h.line}: {h.reason}"
        for h in hits
    )

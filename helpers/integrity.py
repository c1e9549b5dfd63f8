"""Confere, no kernel da correção, que as checagens dos testes ainda são as originais.

Usado pelo corretor durante o autograde (não pelas aulas). Logo que o kernel de um aluno sobe,
antes de qualquer célula dele, o corretor roda ``import helpers.integrity as _i; _i.install()``:
isto guarda quais objetos são as checagens (as funções e classes públicas de
``helpers.checks``, ``torch.testing.assert_close``, ``torch.allclose``, ``torch.equal``...,
algumas funções embutidas) e o estado do IPython (transformadores de entrada, de AST,
callbacks de eventos). Depois de cada célula de teste, ``report(globals(), nomes)`` diz, em
português, o que deixou de ser o original; ``[]`` quando nada mudou.

É uma segunda linha de defesa: o código do aluno roda no mesmo processo e poderia enganar
também esta verificação. A primeira é a leitura das células do aluno (``instructor/tamper.py``),
que aponta quem mexeu em ``sys.modules``, em ``helpers`` ou no IPython antes de a nota contar.
"""

from __future__ import annotations

import builtins
import os
import sys
from pathlib import Path

# Objects the tests rely on, by dotted path (resolved from sys.modules).
CHECKED_PATHS = (
    "torch.testing.assert_close", "torch.allclose", "torch.equal", "torch.isclose",
    "torch.testing", "torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward",
    "torch.Tensor.allclose", "torch.Tensor.equal", "torch.Tensor.isclose",
)
# Modules whose sys.modules entry (and attribute on the parent package) must stay the same.
CHECKED_MODULES = (
    "helpers", "helpers.checks", "torch", "torch.testing", "torch.nn", "torch.nn.functional",
    "torch.autograd", "builtins", "math",
)
BUILTIN_NAMES = (
    "isinstance", "len", "abs", "all", "any", "float", "int", "bool", "print", "__import__",
    "AssertionError", "globals", "getattr", "hasattr", "type", "round", "min", "max", "sum",
)
# IPython's lists of hooks: a new entry can rewrite or swallow every test cell.
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
MANAGER_LISTS = ("cleanup_transforms", "line_transforms", "token_transformers")
SHELL_METHODS = (
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "showtraceback",
    "_showtraceback", "showsyntaxerror", "user_expressions",
)
# Callbacks that Jupyter itself registers after start (the inline matplotlib backend, widgets).
CALLBACK_MODULES_OK = ("IPython", "ipykernel", "matplotlib_inline", "matplotlib", "ipywidgets", "comm")

_snapshot: dict | None = None  # filled by install(); None: install() never ran in this module


def install() -> None:
    """Guarda os originais. Roda uma vez, no kernel recém-aberto, antes de qualquer célula do aluno.

    Da correção de todas as aulas (aula 01 em diante), não das aulas em si."""
    global _snapshot
    import torch  # noqa: F401  (loads torch.testing, torch.autograd, torch.nn.functional)
    import torch.nn.functional  # noqa: F401

    import helpers.checks

    objects = {path: _live(path) for path in CHECKED_PATHS}
    objects.update({f"builtins.{name}": getattr(builtins, name) for name in BUILTIN_NAMES})
    for name in dir(helpers.checks):
        if not name.startswith("_"):
            objects[f"helpers.checks.{name}"] = getattr(helpers.checks, name)
    _snapshot = {
        "objects": objects,
        "copies": {p: _copy(v) for p, v in objects.items() if _copy(v) is not None},
        "modules": {name: sys.modules[name] for name in CHECKED_MODULES if name in sys.modules},
        "shell": _shell_state(),
        "foreign": _imported_from_cwd(),
    }


def _imported_from_cwd() -> list[str]:
    """Modules loaded from the kernel's working folder: a ``helpers/`` or ``torch.py`` handed in
    beside the notebook wins over the installed one when the folder is on sys.path."""
    cwd = Path(os.getcwd()).resolve()
    found = []
    for name in CHECKED_MODULES:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().is_relative_to(cwd):
            found.append(f"{name} foi importado da pasta do aluno ({file}), não do ambiente do curso.")
    return found


def report(user_ns: dict, expected: dict[str, str]) -> list[str]:
    """Problemas encontrados desde ``install()``, em português; ``[]`` quando está tudo original.
    Da correção de todas as aulas (aula 01 em diante).

    ``user_ns`` é o ``globals()`` do notebook; ``expected`` liga cada nome que os testes
    importam ao caminho do original (``{"assert_close": "helpers.checks.assert_close"}``).
    """
    if _snapshot is None:
        return [
            "A verificação de integridade foi reiniciada: helpers.integrity foi removido de "
            "sys.modules e importado de novo depois do início da correção (ou install() não rodou)."
        ]
    problems: list[str] = list(_snapshot["foreign"])
    for check in (_check_modules, _check_objects, _check_shell):
        problems += _safely(check)
    problems += _safely(lambda: _check_namespace(user_ns, expected))
    return problems


# ---------------------------------------------------------------------------------------------


def _safely(check) -> list[str]:
    """A check that fails says so: the report itself must never raise in the kernel."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001
        return [f"Não foi possível verificar ({check.__name__}): {type(exc).__name__}: {exc}"]


_MISSING = object()


def _live(path: str) -> object:
    """The object at ``path`` now: the longest prefix that is in sys.modules, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is not None:
            obj = module
            for attr in parts[cut:]:
                obj = getattr(obj, attr, _MISSING)
                if obj is _MISSING:
                    return _MISSING
            return obj
    return _MISSING


def _copy(value: object) -> object | None:
    """A copy of a container constant (``SOFTMAX_FAMILY``): changed in place, it keeps its identity."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set | frozenset):
        return frozenset(value)
    return tuple(value) if isinstance(value, list | tuple) else None


def _check_modules() -> list[str]:
    problems = []
    for name, module in _snapshot["modules"].items():
        if sys.modules.get(name) is not module:
            problems.append(f"sys.modules[{name!r}] foi trocado ou removido: não é mais o módulo original.")
            continue
        parent, _, child = name.rpartition(".")
        if parent and parent in sys.modules and getattr(sys.modules[parent], child, None) is not module:
            problems.append(f"{name} foi trocado: o atributo {child} de {parent} não é mais o módulo original.")
    return problems


def _check_objects() -> list[str]:
    problems = []
    for path, original in _snapshot["objects"].items():
        now = _live(path)
        if now is _MISSING:
            problems.append(f"{path} foi apagado.")
        elif now is not original:
            problems.append(f"{path} foi trocado: não é mais o original.")
        elif path in _snapshot["copies"] and _copy(now) != _snapshot["copies"][path]:
            problems.append(f"{path} foi alterado no lugar: o conteúdo não é mais o original.")
    return problems


def _check_namespace(user_ns: dict, expected: dict[str, str]) -> list[str]:
    problems = []
    ns_builtins = user_ns.get("__builtins__", builtins)
    if ns_builtins is not builtins and ns_builtins is not vars(builtins):
        problems.append("__builtins__ do notebook foi trocado: as funções embutidas não são mais as originais.")
    for name in BUILTIN_NAMES:
        if name in user_ns and user_ns[name] is not _snapshot["objects"][f"builtins.{name}"]:
            problems.append(f"O nome {name} no notebook esconde a função embutida original.")
    for name, path in expected.items():
        original = _original(path)
        if name in user_ns and original is not _MISSING and user_ns[name] is not original:
            problems.append(f"O nome {name} no notebook não é mais {path}: foi redefinido.")
    return problems


def _original(path: str) -> object:
    """The object ``path`` named at install(): snapshotted, or reached from a snapshotted module."""
    if path in _snapshot["objects"]:
        return _snapshot["objects"][path]
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = _snapshot["modules"].get(".".join(parts[:cut]))
        if module is not None:
            obj = module
            for attr in parts[cut:]:
                obj = getattr(obj, attr, _MISSING)
            return obj
    return _live(path)


# ---- IPython --------------------------------------------------------------------------------


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _shell_state() -> dict | None:
    shell = _shell()
    if shell is None:
        return None
    manager = getattr(shell, "input_transformer_manager", None)
    lists = {name: list(getattr(shell, name, [])) for name in SHELL_LISTS}
    lists.update({f"input_transformer_manager.{name}": list(getattr(manager, name, []))
                  for name in MANAGER_LISTS})
    plain = shell.display_formatter.formatters.get("text/plain")
    return {
        "shell": shell,
        "manager": manager,
        "lists": lists,
        "methods": {name: _function_of(getattr(shell, name, None)) for name in SHELL_METHODS},
        "events": {event: list(cbs) for event, cbs in shell.events.callbacks.items()},
        "custom_exceptions": shell.custom_exceptions,
        "formatter": plain,
        "printers": dict(getattr(plain, "type_printers", {})),
    }


def _function_of(method: object) -> object:
    return getattr(method, "__func__", method)


def _describe(obj: object) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__name__
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "?")
    return f"{module}.{name}"


def _diff(before: list, after: list) -> tuple[list, list]:
    added = [x for x in after if not any(x is y or x == y for y in before)]
    removed = [x for x in before if not any(x is y or x == y for y in after)]
    return added, removed


def _check_shell() -> list[str]:
    state = _snapshot["shell"]
    if state is None:
        return []
    shell = _shell()
    if shell is not state["shell"]:
        return ["get_ipython() não devolve mais o shell do início da correção."]
    problems = _check_shell_lists(shell, state) + _check_events(shell, state)
    for name, original in state["methods"].items():
        if _function_of(getattr(shell, name, None)) is not original:
            problems.append(f"get_ipython().{name} foi trocado.")
    if shell.custom_exceptions != state["custom_exceptions"]:
        problems.append("get_ipython().set_custom_exc foi usado: erros dos testes podem ser engolidos.")
    plain = shell.display_formatter.formatters.get("text/plain")
    if plain is not state["formatter"] or dict(getattr(plain, "type_printers", {})) != state["printers"]:
        problems.append("O formatador de texto do IPython foi alterado: o resultado desta verificação "
                        "pode ser falsificado.")
    return problems


def _check_shell_lists(shell, state: dict) -> list[str]:
    problems = []
    if getattr(shell, "input_transformer_manager", None) is not state["manager"]:
        problems.append("get_ipython().input_transformer_manager foi trocado.")
    manager = getattr(shell, "input_transformer_manager", None)
    for name, before in state["lists"].items():
        owner, attr = (manager, name.split(".", 1)[1]) if "." in name else (shell, name)
        added, removed = _diff(before, list(getattr(owner, attr, [])))
        problems += [f"get_ipython().{name} ganhou {_describe(x)}." for x in added]
        problems += [f"get_ipython().{name} perdeu {_describe(x)}." for x in removed]
    return problems


def _check_events(shell, state: dict) -> list[str]:
    problems = []
    now = {event: list(cbs) for event, cbs in shell.events.callbacks.items()}
    for event in sorted(set(now) | set(state["events"])):
        added, removed = _diff(state["events"].get(event, []), now.get(event, []))
        problems += [f"callback {_describe(cb)} registrado no evento {event} do IPython." for cb in added
                     if _describe(cb).split(".")[0] not in CALLBACK_MODULES_OK]
        problems += [f"callback {_describe(cb)} removido do evento {event} do IPython." for cb in removed]
    return problems

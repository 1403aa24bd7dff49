"""A package module's source, made standalone for the exported script.

The model files are copied as they are — their comments, tensor shapes and paper references included — with three
changes: the module docstring becomes a comment block, imports are gathered once at the top of the script (only
plain ``import`` / ``from x import`` of installed modules; the package's own relative imports disappear, since what
they import is pasted in too), and each class's ``family = Family(...)`` line goes (the app's registry facts: labels,
tabs, defaults), with the comment lines right above it.
"""
from __future__ import annotations

import ast
import inspect
import sys
from types import ModuleType

REGISTRY_FACTS = ("family",)  # class attributes that only the app's registry reads


def _docstring_lines(tree: ast.Module) -> tuple[int, int] | None:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.lineno, first.end_lineno
    return None


def _registry_fact(node: ast.AST) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return any(isinstance(t, ast.Name) and t.id in REGISTRY_FACTS for t in targets)


def imports(module: ModuleType) -> list[str]:
    """The module's own absolute imports, as written (``from __future__`` and relative imports left out)."""
    text = inspect.getsource(module)
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0
                                            and node.module != "__future__"):
            out.append(ast.get_source_segment(text, node))
    return out


def standalone(module: ModuleType, title: str) -> str:
    """The module's code without its imports and registry facts, its docstring as comments, under a banner."""
    text = inspect.getsource(module)
    lines = text.splitlines()
    tree = ast.parse(text)
    drop: set[int] = set()  # 1-based line numbers
    doc = _docstring_lines(tree)
    if doc:
        drop.update(range(doc[0], doc[1] + 1))
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            drop.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if _registry_fact(stmt):
                    start = stmt.lineno
                    while start > 1 and lines[start - 2].strip().startswith("#"):  # its comment goes with it
                        start -= 1
                    drop.update(range(start, stmt.end_lineno + 1))
    head = [f"# {'=' * 100}", f"# {title}", f"# {'=' * 100}"]
    if doc:
        docstring = ast.get_docstring(tree, clean=True) or ""
        head += [f"# {line}".rstrip() for line in docstring.splitlines()]
    body = [line for i, line in enumerate(lines, 1) if i not in drop]
    while body and not body[0].strip():
        body.pop(0)
    return "\n".join(head + [""] + body).rstrip() + "\n"


def merged_imports(lines: list[str], used_in: str | None = None) -> str:
    """Import statements gathered from several modules → one sorted block: the standard library, then the rest
    (numpy, torch), each ``from m import …`` once with its names merged; with ``used_in`` (the code they serve),
    only the names that code uses."""
    used = {n.id for n in ast.walk(ast.parse(used_in)) if isinstance(n, ast.Name)} if used_in is not None else None
    plain: set[str] = set()
    froms: dict[str, set[str]] = {}
    for line in lines:
        node = ast.parse(line).body[0]
        names = [a for a in node.names if used is None or (a.asname or a.name.split(".")[0]) in used]
        if isinstance(node, ast.Import):
            plain.update(a.name + (f" as {a.asname}" if a.asname else "") for a in names)
        elif names:
            froms.setdefault(node.module, set()).update(a.name + (f" as {a.asname}" if a.asname else "") for a in names)
    rows = [(m.split(" ")[0], f"import {m}") for m in plain]
    rows += [(m, f"from {m} import {', '.join(sorted(n))}") for m, n in froms.items()]
    order = sorted(rows, key=lambda r: (r[1].startswith("from"), r[0]))
    std = [r for r in order if r[0].split(".")[0] in sys.stdlib_module_names]
    rest = [r for r in order if r[0].split(".")[0] not in sys.stdlib_module_names]
    return "\n".join(r[1] for r in std) + "\n\n" + "\n".join(r[1] for r in rest) + "\n"

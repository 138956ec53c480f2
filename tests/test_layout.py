"""The package layout shows the flow (issue 20): imports only go down the layers.

    base (tumen, tumen.record, tumen.errors)                     0
    ingest stages (tumen.ingest.sources, .normalize, .dedup)     1
    tumen.analysis                                               2
    tumen.store                                                  3
    tumen.engines                                                4
    tumen.ingest.run                                             5
    tumen.web, tumen.cli                                         6  (never each other)

Every module under src/tumen is parsed with ``ast``; each import (top level or inside a
function, and ``import_module("tumen....")`` with a literal name) is mapped to a layer
by the longest matching module prefix.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "tumen"

LAYERS = {
    "tumen": 0,
    "tumen.record": 0,
    "tumen.errors": 0,
    "tumen.__main__": 6,
    "tumen.ingest": 1,  # the package docstring only; its stages are listed below
    "tumen.ingest.sources": 1,
    "tumen.ingest.normalize": 1,
    "tumen.ingest.dedup": 1,
    "tumen.analysis": 2,
    "tumen.store": 3,
    "tumen.engines": 4,
    "tumen.ingest.run": 5,
    "tumen.web": 6,
    "tumen.cli": 6,
}
# The one sanctioned edge between the two front ends: the ``serve`` and ``user``
# commands (cli/web.py) start the web app and manage its accounts.  Nothing else in
# tumen.cli imports tumen.web, and tumen.web imports nothing from tumen.cli.
CLI_TO_WEB = ("tumen.cli.web", "tumen.web")
NAMES = {0: "base", 1: "ingest stages", 2: "analysis", 3: "store", 4: "engines", 5: "ingest.run", 6: "web/cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_key(module: str) -> str | None:
    """The longest prefix of ``module`` in LAYERS (None for a module outside tumen)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return key
    return None


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every import in the tree, wherever it is."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: relative import (use absolute tumen. imports)"
            base = node.module or ""
            found.append((node.lineno, base))
            # ``from tumen.ingest import dedup`` imports the submodule tumen.ingest.dedup
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id == "import_module")
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            found.append((node.lineno, node.args[0].value))
    return found


def violations() -> list[str]:
    problems: list[str] = []
    for path in modules():
        here = module_name(path)
        here_key = layer_key(here)
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        seen: set[tuple[int, str]] = set()
        for line, target in imported(tree):
            target_key = layer_key(target)
            if target_key is None:
                continue  # not a tumen module
            mine, theirs = LAYERS[here_key], LAYERS[target_key]
            where = f"{path.relative_to(SRC.parent)}:{line}: {here} imports {target}"
            if (line, target_key) in seen:
                continue  # one report per import statement and layer
            seen.add((line, target_key))
            if theirs > mine:
                problems.append(f"{where} ({NAMES[theirs]} above {NAMES[mine]})")
            elif (mine == theirs == 6 and here_key != target_key and here != "tumen.__main__"
                  and (here, target_key) != CLI_TO_WEB):
                problems.append(f"{where} (web and cli must not import each other)")
    return problems


def test_every_module_has_a_layer():
    missing = [name for name in sorted(module_name(p) for p in modules()) if layer_key(name) == "tumen" and name != "tumen"]
    assert not missing, f"modules with no layer in tests/test_layout.py: {missing}"


def test_imports_follow_the_flow():
    problems = violations()
    assert not problems, "imports against the flow:\n" + "\n".join(problems)


def test_the_checker_sees_a_back_edge():
    """The checker itself: an analysis module importing the store is reported."""
    tree = ast.parse("def f():\n    from tumen.store import open_store\n    import_module('tumen.web.app')\n")
    found = imported(tree)
    assert (2, "tumen.store") in found and (3, "tumen.web.app") in found
    assert LAYERS[layer_key("tumen.store.search")] > LAYERS[layer_key("tumen.analysis.pipeline")]
    assert LAYERS[layer_key("tumen.ingest.run")] > LAYERS[layer_key("tumen.engines.local")]
    assert LAYERS[layer_key("tumen.ingest.dedup")] < LAYERS[layer_key("tumen.analysis.linking")]


def test_top_level_packages_say_what_they_are():
    """Each top-level package has an ``__init__`` docstring (what the stage is and may import)."""
    missing = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        if not ast.get_docstring(ast.parse(init.read_text("utf-8"))):
            missing.append(str(init.relative_to(SRC.parent)))
    assert not missing, f"packages without a docstring: {missing}"


SQL = re.compile(
    r"\b(SELECT\b[\s\S]*?\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX))\b")


def sql_outside_store() -> list[str]:
    found = []
    for path in modules():
        if module_name(path).startswith("tumen.store"):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and SQL.search(node.value)):
                found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {node.value.strip()[:60]!r}")
    return found


def test_sql_regex_finds_statements():
    assert SQL.search("SELECT id, body FROM reports WHERE id = ?")
    assert SQL.search("insert or replace into settings VALUES (?, ?)".upper())
    assert SQL.search("CREATE INDEX IF NOT EXISTS ix ON t(a)")
    assert not SQL.search("Select the reports from the list")


def test_no_sql_outside_the_store():
    found = sql_outside_store()
    assert not found, "SQL outside tumen/store:\n" + "\n".join(found)

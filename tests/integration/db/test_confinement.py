"""Hand-written SQL stays in ``integration/db/`` (issue 15): nothing else in ``integration/``
builds SQL text, the package stays small, and each statement names its benchmark figure."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import integration

PACKAGE = Path(integration.__file__).resolve().parent
DB = PACKAGE / "db"
MAX_DB_LINES = 500

# Statement shapes in a string literal (docstrings excluded; comments are not in the tree).
SQL_TEXT = re.compile(
    r"\bSELECT\b|\bINSERT\s+INTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b|\bSET\s+(LOCAL\s+)?\w+\s*(=|TO\b)"
    r"|\bWITH\s+\w+\s*(\(|AS\b)|\bON\s+CONFLICT\b|\bRETURNING\b"
)
# Calls that run or embed SQL text.
SQL_CALLS = {"raw", "extra", "execute", "executemany", "executescript", "cursor", "callproc"}
SQL_NAMES = {"RawSQL"}
SQL_MODULES = {"psycopg", "psycopg2", "sqlite3"}

# No exceptions: the health checks' ping uses Django's own ``is_usable``. A module listed
# here would be allowed exactly its findings and nothing more.
KNOWN: dict[str, list[str]] = {}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_findings(source: str) -> list[str]:
    """What in ``source`` builds or runs SQL text, in source order."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.JoinedStr):  # an f-string: its parts, with a stand-in for each value
            skip |= {id(v) for v in node.values}
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
            if SQL_TEXT.search(text):
                found.append((line, f"text {text[:40]!r}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if SQL_TEXT.search(node.value):
                found.append((line, f"text {node.value[:40]!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_CALLS:
                found.append((line, f"call .{node.func.attr}()"))
        elif isinstance(node, ast.Name | ast.alias):
            name = node.id if isinstance(node, ast.Name) else node.name
            if name in SQL_NAMES or name.split(".")[0] in SQL_MODULES:
                found.append((line, f"name {name}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_MODULES:
            found.append((line, f"import from {node.module}"))
    return [what for _, what in sorted(found, key=lambda f: f[0])]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if not rel.startswith(("integration/db/", "integration/migrations/")):
            yield rel, path


def test_nothing_outside_integration_db_builds_sql_text():
    offenders = {}
    for rel, path in _modules():
        found = sql_findings(path.read_text())
        if found and sorted(found) != sorted(KNOWN.get(rel, [])):
            offenders[rel] = found
    assert offenders == {}


def test_the_scan_sees_each_kind_of_sql_building():
    source = '''
"""A docstring may say SELECT … FOR UPDATE."""
from django.db import connection
from django.db.models.expressions import RawSQL
import psycopg

def f(qs, name):
    """So may this one: INSERT INTO t."""
    with connection.cursor() as c:
        c.execute(f"UPDATE {name} SET x = 1")
    qs.raw("SELECT * FROM t")
    qs.extra(where=["1 = 1"])
    return qs.filter(RawSQL("x = ANY(%s)", [[1]])), "DELETE FROM t", "SET LOCAL y = off"
'''
    assert sorted(sql_findings(source)) == sorted(
        [
            "name RawSQL",
            "name psycopg",
            "call .cursor()",
            "call .execute()",
            "text 'UPDATE x SET x = 1'",
            "call .raw()",
            "text 'SELECT * FROM t'",
            "call .extra()",
            "name RawSQL",
            "text 'DELETE FROM t'",
            "text 'SET LOCAL y = off'",
        ]
    )
    assert sql_findings('"""Only a docstring: SELECT 1."""\nx = "an UPDATE to the order"\n') == []


def test_integration_db_stays_small():
    lines = sum(len(path.read_text().splitlines()) for path in DB.glob("*.py"))
    assert lines <= MAX_DB_LINES, f"integration/db/ is {lines} lines (at most {MAX_DB_LINES})"


def _statements(source: str) -> list[str]:
    return [f for f in sql_findings(source) if f.startswith(("text ", "name RawSQL", "call .raw("))]


def test_each_function_holding_a_statement_in_integration_db_names_its_benchmark():
    unnamed, seen = [], 0
    for path in sorted(DB.glob("*.py")):
        source = path.read_text()
        for node in ast.parse(source).body:
            text = ast.get_source_segment(source, node) if isinstance(node, ast.FunctionDef) else ""
            if text and _statements(text):
                seen += 1
                if not re.search(r"bench\.\w+ \w+", text):
                    unnamed.append(f"{path.name}:{node.name}")
    assert seen >= 6 and unnamed == []

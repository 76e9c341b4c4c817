"""The layers and the import graph of ``integration/``, read statically (``ast``, nothing is
imported): dependencies point down, and the only import loops are services enqueueing their
own domain's task (a function-level import of ``integration.tasks.<domain>``).

Edges: every ``import``/``from … import`` outside ``if TYPE_CHECKING:``, to the module that
defines the name (a name a package ``__init__`` re-exports counts as its submodule). A
submodule reaching its own package is no edge: a package re-exporting its submodules is not
a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "integration"

# (service module, task module) pairs: the service queues that task, importing it inside the
# function that enqueues (tasks import services, so never at module level).
ENQUEUES = {
    ("integration.services.checkout.driver", "integration.tasks.checkout"),
    ("integration.services.notify.delivery", "integration.tasks.notify"),
    ("integration.services.onboarding.registration", "integration.tasks.onboarding"),
    ("integration.services.webhooks.outbox", "integration.tasks.webhooks"),
    # The storefront read queues a polling refresh of a stale order (not a loop: the polling
    # tasks do not import the storefront).
    ("integration.services.storefront", "integration.tasks.polling"),
}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)) == "TYPE_CHECKING"


def _imports(body: list[ast.stmt], *, deep: bool):
    """Import statements run at import time (``deep``: also those inside functions)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.If) and _type_checking(node):
            yield from _imports(node.orelse, deep=deep)
            continue
        if not (deep or isinstance(node, ast.If | ast.Try | ast.With)):
            continue  # a def or class body runs later (or, for a class, holds no imports here)
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                yield from _imports([v for v in value if isinstance(v, ast.stmt)], deep=deep)
                for handler in value:
                    if isinstance(handler, ast.ExceptHandler):
                        yield from _imports(handler.body, deep=deep)


class Modules:
    def __init__(self, root: Path = REPO) -> None:
        self.files: dict[str, tuple[Path, bool]] = {}
        for path in sorted((root / PACKAGE).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            self.files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
        self.trees = {name: ast.parse(path.read_text()) for name, (path, _) in self.files.items()}
        self.reexports = {
            name: self._reexports(name) for name, (_, is_package) in self.files.items() if is_package
        }

    def absolute(self, module: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        package = module if self.files[module][1] else module.rpartition(".")[0]
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def _reexports(self, package: str) -> dict[str, str]:
        table = {}
        for node in _imports(self.trees[package].body, deep=False):
            if isinstance(node, ast.ImportFrom):
                source = self.absolute(package, node)
                if source.startswith(package + "."):
                    table.update({alias.asname or alias.name: source for alias in node.names})
        return table

    def owner(self, dotted: str) -> str | None:
        while dotted not in self.files and "." in dotted:
            dotted = dotted.rpartition(".")[0]
        return dotted if dotted in self.files else None

    def imported(self, module: str, *, deep: bool) -> set[str]:
        """Every dotted name ``module`` imports (third-party ones too)."""
        names = set()
        for node in _imports(self.trees[module].body, deep=deep):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            else:
                names.add(self.absolute(module, node))
        return names

    def graph(self, *, deep: bool) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = {name: set() for name in self.files}
        for module in self.files:
            for node in _imports(self.trees[module].body, deep=deep):
                if isinstance(node, ast.Import):
                    targets = [self.owner(alias.name) for alias in node.names]
                else:
                    source = self.absolute(module, node)
                    targets = []
                    for alias in node.names:
                        full = f"{source}.{alias.name}"
                        if full in self.files:
                            targets.append(full)
                        elif alias.name in self.reexports.get(source, {}):
                            targets.append(self.owner(self.reexports[source][alias.name]))
                        else:
                            targets.append(self.owner(source))
                for target in targets:
                    if target is None or target == module or module.startswith(target + "."):
                        continue
                    edges[module].add(target)
        return edges


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_loop_at_module_level():
    assert loops(Modules().graph(deep=False)) == []


def test_the_only_loops_are_services_enqueueing_their_own_task():
    modules = Modules()
    edges = modules.graph(deep=True)
    for service, task in ENQUEUES:
        assert task in edges[service], f"{service} no longer enqueues {task}: drop it from ENQUEUES"
        assert task not in modules.graph(deep=False)[service], f"{service} imports {task} at module level"
    without_enqueues = {m: {t for t in ts if (m, t) not in ENQUEUES} for m, ts in edges.items()}
    assert loops(without_enqueues) == []
    # Each remaining loop is one domain's service and task: never two domains tied together.
    for loop in loops(edges):
        tasks = {m for m in loop if _layer(m) == "tasks"}
        assert len(tasks) == 1, loop
        (task,) = tasks
        domain = task.rpartition(".")[2]
        assert all(m == task or m.startswith(f"integration.services.{domain}") for m in loop), loop


def test_drgreen_client_imports_no_django_and_nothing_of_the_app():
    modules = Modules()
    for module in modules.files:
        if _layer(module) != "drgreen":
            continue
        for name in modules.imported(module, deep=True):
            assert name.split(".")[0] != "django", f"{module} imports {name}"
            if name.split(".")[0] == PACKAGE:
                assert name.startswith("integration.drgreen"), f"{module} imports {name}"


def test_models_import_no_services_nor_faces():
    edges = Modules().graph(deep=True)
    above = {"services", "selectors", "api", "admin", "tasks", "management", "demo"}
    bad = {(m, t) for m, ts in edges.items() if _layer(m) == "models" for t in ts if _layer(t) in above}
    assert bad == set()


def test_services_import_no_faces_but_the_allowed_enqueues():
    edges = Modules().graph(deep=True)
    faces = {"api", "admin", "tasks", "management", "demo"}
    bad = {
        (m, t)
        for m, ts in edges.items()
        if _layer(m) == "services"
        for t in ts
        if _layer(t) in faces and (m, t) not in ENQUEUES
    }
    assert bad == set()


def test_selectors_import_no_faces():
    edges = Modules().graph(deep=True)
    faces = {"api", "admin", "tasks", "management", "demo"}
    bad = {(m, t) for m, ts in edges.items() if _layer(m) == "selectors" for t in ts if _layer(t) in faces}
    assert bad == set()


def test_the_scan_sees_a_loop(tmp_path):
    """The scan can fail: a copy of the package with one module-level import added that
    closes a loop (the mirror reaching up into polling) has one more loop."""
    target = tmp_path / PACKAGE
    for path in (REPO / PACKAGE).rglob("*.py"):
        copy = target / path.relative_to(REPO / PACKAGE)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text())
    parsing = target / "services" / "mirror" / "parsing.py"
    parsing.write_text(parsing.read_text() + "\nfrom integration.services.polling import refresh  # noqa\n")
    found = loops(Modules(tmp_path).graph(deep=False))
    assert len(found) == 1
    assert {"integration.services.mirror.parsing", "integration.services.polling.refresh"} <= set(found[0])

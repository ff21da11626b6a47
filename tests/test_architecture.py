"""The import graph runs one way: cli/jobs -> the facade (``vocmine.workspace``) -> the stage
packages (collect, understand, decide, act, tell) -> ``vocmine.core`` (docs/architecture.md).

The graph is read from the source with ``ast``: every ``import`` statement counts, at module
level or inside a function, except those under ``if TYPE_CHECKING:`` (they never run). A
package's ``__init__`` is a module of its own; ``from vocmine.x import name`` is an edge to
``vocmine.x.name`` when that is a module, else to ``vocmine.x``. The implicit import of a parent
package (``import vocmine.a.b`` runs ``vocmine/__init__.py`` first) is not an edge: every module
would otherwise depend on the top package.

The facade test checks that each ``Workspace`` method handing ``self`` to a stage function takes
that function's parameters, so the two cannot drift apart unnoticed (``vocmine weekly`` once
passed ``taxonomy=`` to a method that no longer took it).
"""
from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vocmine"
STAGES = ("collect", "understand", "decide", "act", "tell")
TOP = ("cli", "jobs")  # the outer layer: only it (and the facade) may sit above the stages

# Modules outside cli/ and jobs/ that may import them, each with its reason.
OUTER_IMPORT_ALLOWED = {
    "vocmine.__main__": "``python -m vocmine`` is the command line itself: it runs vocmine.cli.main",
}


# -- the graph -------------------------------------------------------------------------------------------------

def module_files(package_dir: Path, name: str | None = None) -> dict[str, Path]:
    """Return dotted module name -> file for every ``.py`` under ``package_dir``, the package named
    ``name`` (default: the folder's name); a package's ``__init__.py`` is the package's own name."""
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join([name or package_dir.name, *parts])] = path
    return out


def vocmine_modules() -> dict[str, Path]:
    """Return vocmine's modules, with the Scrapy project that a wheel ships as ``vocmine.scrapers``
    (in a source tree it is the ``scrapers/`` folder beside ``vocmine/``)."""
    modules = module_files(PACKAGE)
    if "vocmine.scrapers" not in modules and (ROOT / "scrapers" / "__init__.py").is_file():
        modules.update(module_files(ROOT / "scrapers", "vocmine.scrapers"))
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Yield every import statement of ``tree`` that can run (the body of ``if TYPE_CHECKING:`` is
    skipped, its ``else:`` is not)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def module_imports(name: str, path: Path, modules: Mapping[str, Path]) -> dict[str, int]:
    """Return {imported module of ``modules``: first line} for the module ``name`` at ``path``."""
    is_package = path.name == "__init__.py"
    out: dict[str, int] = {}
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from the module's package, one more level up per extra dot
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            targets = []
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.append(full if full in modules else base)
        for target in targets:  # a name that is none of ``modules`` is another distribution's
            if target in modules and target != name:
                out[target] = min(out.get(target, node.lineno), node.lineno)
    return out


def import_graph(modules: Mapping[str, Path] | None = None) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """Return (module -> modules it imports, (module, target) -> "file:line" of the import) for
    ``modules`` (default: vocmine's)."""
    modules = vocmine_modules() if modules is None else modules
    graph: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for name, path in modules.items():
        found = module_imports(name, path, modules)
        graph[name] = set(found)
        for target, line in found.items():
            where[(name, target)] = f"{_shown(path)}:{line}"
    return graph, where


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return one cycle (``[a, b, ..., a]``) per strongly connected component that has one, sorted."""
    succ = {n: sorted(set(ts)) for n, ts in graph.items()}
    return sorted(_cycle_in(comp, succ) for comp in tangles(graph))


def tangles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Return the strongly connected components that hold a cycle (each sorted), sorted.

    Tarjan's algorithm, iterative so a deep graph cannot hit the recursion limit; a module that
    imports itself is a cycle of one.
    """
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    succ = {n: sorted(set(graph.get(n, ()))) for n in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1 or node in succ[node]:
                    components.append(sorted(comp))
    return sorted(components)


def _cycle_in(component: list[str], succ: Mapping[str, Iterable[str]]) -> list[str]:
    """Return the shortest cycle through the first module of a strongly connected component."""
    start, inside = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    for node in queue:  # breadth first; the queue grows while it is read
        for nxt in sorted(succ[node]):
            if nxt == start:
                return paths[node] + [start]
            if nxt in inside and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle in {component}")  # a component always has one


def _explain(graph: Mapping[str, set[str]], where: Mapping[tuple[str, str], str]) -> str:
    """Per tangle: its shortest cycle, then every import among its modules (cutting them all
    untangles it; one cycle shown can hide others)."""
    lines = []
    for comp in tangles(graph):
        cycle = _cycle_in(comp, graph)
        lines.append(f"cycle: {' -> '.join(cycle)}")
        lines.extend(f"    {a} -> {b}  ({where.get((a, b), '?')})" for a, b in zip(cycle, cycle[1:]))
        lines.append(f"  all imports among these {len(comp)} modules:")
        lines.extend(f"    {a} -> {b}  ({where.get((a, b), '?')})" for a in comp for b in sorted(graph[a]) if b in comp)
    return "\n".join(lines)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- the guard's own tests -------------------------------------------------------------------------------------

def test_find_cycles_on_a_synthetic_graph():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"f"}, "f": {"e"}, "g": {"g"},
             "h": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["e", "f", "e"], ["g", "g"]]
    # Two cycles through one module are one component: the shortest cycle through it is shown.
    assert find_cycles({"a": {"b", "c"}, "b": {"a"}, "c": {"d"}, "d": {"a"}}) == [["a", "b", "a"]]
    assert tangles({"a": {"b", "c"}, "b": {"a"}, "c": {"d"}, "d": {"a"}}) == [["a", "b", "c", "d"]]
    # A long chain does not hit the recursion limit.
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)}
    assert find_cycles(chain) == []
    chain["m5000"] = {"m0"}
    assert len(find_cycles(chain)[0]) == 5002


def test_import_graph_reads_every_import_that_can_run(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.a import thing\n")
    (pkg / "a.py").write_text("thing = 1\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "if TYPE_CHECKING:\n"
        "    from pkg import c\n"
        "elif typing.TYPE_CHECKING:\n"
        "    import pkg.d\n"
        "else:\n"
        "    import pkg.sub.e\n"
        "def f():\n"
        "    from pkg.sub import e, CONSTANT\n"
        "    from pkg import a\n")
    (pkg / "c.py").write_text("")
    (pkg / "d.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import e\nfrom ..a import thing\nCONSTANT = 2\n")
    (pkg / "sub" / "e.py").write_text("from .. import b\nfrom . import CONSTANT\nimport json\nfrom pkg import nothing\n")
    graph, where = import_graph(module_files(pkg))
    assert graph == {
        "pkg": {"pkg.a"},  # `thing` is not a module: the edge goes to pkg.a
        "pkg.a": set(),
        "pkg.b": {"pkg.sub.e", "pkg.sub", "pkg.a"},  # not c or d: TYPE_CHECKING-only
        "pkg.c": set(), "pkg.d": set(),
        "pkg.sub": {"pkg.sub.e", "pkg.a"},
        "pkg.sub.e": {"pkg.b", "pkg.sub", "pkg"},  # `nothing` is no module: the edge goes to pkg
    }
    assert where[("pkg.b", "pkg.sub.e")].endswith("b.py:8")  # the first line that imports it
    assert find_cycles(graph) == [["pkg.b", "pkg.sub.e", "pkg.b"]]


# -- the rules -------------------------------------------------------------------------------------------------

def test_the_graph_covers_the_package():
    graph, _ = import_graph()
    for module in ("vocmine", "vocmine.workspace", "vocmine.core.db", "vocmine.act.trackers",
                   "vocmine.act.trackers.base", "vocmine.cli", "vocmine.cli.main", "vocmine.jobs.weekly"):
        assert module in graph
    assert "vocmine.workspace" in graph["vocmine"]
    assert any(_inside(t, "vocmine.core") for t in graph["vocmine.workspace"])
    assert "vocmine.scrapers.events" in graph["vocmine.collect.crawl"]  # the Scrapy project counts too


def test_no_import_cycle():
    graph, where = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in vocmine (module -> module (file:line)):\n" + _explain(graph, where)


def test_only_cli_and_jobs_import_cli_and_jobs():
    graph, where = import_graph()
    bad = [f"{m} imports {t} ({where[(m, t)]})" for m, targets in sorted(graph.items()) for t in sorted(targets)
           if any(_inside(t, f"vocmine.{p}") for p in TOP)
           and not any(_inside(m, f"vocmine.{p}") for p in TOP) and m not in OUTER_IMPORT_ALLOWED]
    assert not bad, "\n".join(bad)
    for module in OUTER_IMPORT_ALLOWED:  # the exceptions stay real
        assert any(_inside(t, "vocmine.cli") or _inside(t, "vocmine.jobs") for t in graph[module]), module


def test_core_imports_only_core():
    graph, where = import_graph()
    bad = [f"{m} imports {t} ({where[(m, t)]})" for m, targets in sorted(graph.items()) if _inside(m, "vocmine.core")
           for t in sorted(targets) if not _inside(t, "vocmine.core")]
    assert not bad, "vocmine.core is used by the stages and never calls back:\n" + "\n".join(bad)


def test_stages_never_import_the_facade_or_the_top_package():
    graph, where = import_graph()
    bad = [f"{m} imports {t} ({where[(m, t)]})" for m, targets in sorted(graph.items())
           if any(_inside(m, f"vocmine.{s}") for s in STAGES)
           for t in sorted(targets) if t in ("vocmine", "vocmine.workspace")]
    assert not bad, ("stages take the workspace as an argument; import from vocmine.core "
                     "(load_taxonomy: vocmine.core.resources, __version__: vocmine.core.version):\n"
                     + "\n".join(bad))


def test_the_facade_imports_only_stages_and_core():
    graph, where = import_graph()
    allowed = ["vocmine.core", *(f"vocmine.{s}" for s in STAGES)]
    bad = [f"vocmine.workspace imports {t} ({where[('vocmine.workspace', t)]})"
           for t in sorted(graph["vocmine.workspace"]) if not any(_inside(t, a) for a in allowed)]
    assert not bad, "\n".join(bad)


# -- the facade: one line per method, the stage function's parameters ------------------------------------------

# Parameters of a stage function that the Workspace method leaves at their default, each with why.
FACADE_HIDES: dict[tuple[str, str], dict[str, str]] = {
    ("ingest", "ingest"): {
        "finisher": "where the redaction and language detection run: vocmine backfill's Ray engine sets it",
        "chunk_rows": "the rows per batch handed to the finisher; set with it"},
    ("analyze", "analyze"): {"batch_size": "rows per transaction, a tuning knob for tests and benchmarks"},
    ("aspects", "aspects"): {"opinions": "the table lists the top five opinions; ws.aspect(name) lists them all"},
    ("suggest_links", "suggest_links"): {
        "min_customers": "phrases fewer customers use are never suggested; a knob for tests",
        "embedder": "the semantic evidence uses the packaged MiniLM; tests turn it off or inject one"},
    ("update_topics", "update_topics"): {
        "min_topic_size": "derived from the number of segments (topics.min_topic_size_for); tests fix it"},
    ("suggest_taxonomy", "suggest_taxonomy"): {
        "taxonomy": "proposals are made against the workspace's own taxonomy",
        "min_size": "topics under five segments are too small to propose a category from"},
}
# Workspace methods that adapt their arguments before calling the stage function, each with why.
# Their parameters are not compared; the call itself must still bind to the function.
FACADE_ADAPTS: dict[tuple[str, str], str] = {
    ("accept_link", "decide_link"): "fixes the decision (status='accepted') and who made it (by='api')",
    ("reject_link", "decide_link"): "fixes the decision (status='rejected') and who made it (by='api')",
    ("build_entries", "build_entries"): "takes weeks positionally too (ws.build_entries(8)); the stage by keyword",
    ("topic", "Topic"): "builds the Topic object, whose constructor names the id tid",
    ("merge_topics", "merge_topics"): "takes the sources as *sources (lists too) and flattens them into one list",
    ("accept_taxonomy", "accept_taxonomy"): "takes the ids as *ids (lists too), flattened; the taxonomy is the "
                                            "workspace's",
    ("sync_tickets", "sync"): "one method for both: a tracker name syncs it, none syncs every tracker synced before",
    ("sync_tickets", "sync_all"): "one method for both: a tracker name syncs it, none syncs every tracker synced before",
    ("weekly_data", "weekly_data"): "passes the company saved in the site settings; top stays the report's",
    ("report", "report"): "out_dir defaults to reports/ in a notebook; the company comes from the site settings",
    ("publish", "publish"): "out_dir defaults to site/ in a notebook; formats and languages become tuples; force "
                            "and gate are the CLI's",
}


def _imported_names(body: Iterable[ast.stmt]) -> dict[str, str]:
    """Return {name bound: dotted name it stands for} for the imports in ``body``."""
    out = {}
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                for alias in sub.names:
                    out[alias.asname or alias.name] = f"{sub.module}.{alias.name}"
            elif isinstance(sub, ast.Import):
                for alias in sub.names:
                    out[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
    return out


def _is_self(node: ast.expr) -> bool:
    """``self`` or what it holds (``self.store``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self"


def facade_delegations(source: Path = PACKAGE / "workspace.py", cls: str = "Workspace",
                       package: str = "vocmine") -> list[tuple[str, str, str, ast.Call]]:
    """Return (method, module, function, call) for every call ``function(self, ...)`` (or
    ``module.function(self, ...)``, or with ``self.store``) in the methods of ``cls`` in ``source``
    to a function imported from ``package``, resolved through the method's imports, else the module's."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    module_names = _imported_names(n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    (klass,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    out = []
    for method in klass.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names = {**module_names, **_imported_names(method.body)}
        for call in ast.walk(method):
            if not (isinstance(call, ast.Call) and call.args and _is_self(call.args[0])):
                continue
            func = call.func
            if isinstance(func, ast.Name) and func.id in names:
                dotted = names[func.id]
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in names:
                dotted = f"{names[func.value.id]}.{func.attr}"
            else:
                continue
            if dotted.startswith(package + "."):
                out.append((method.name, *dotted.rsplit(".", 1), call))
    return out


Param = tuple[str, str, object]


def _params(fn, skip: int = 1, hidden: Iterable[str] = ()) -> list[Param]:
    """Return (name, kind, default) of ``fn``'s parameters after the first ``skip``, keyword-only
    ones in name order (their order means nothing), ``hidden`` ones left out."""
    params = [(p.name, p.kind.name, p.default) for p in list(inspect.signature(fn).parameters.values())[skip:]
              if p.name not in hidden]
    rank = {"POSITIONAL_ONLY": 0, "POSITIONAL_OR_KEYWORD": 0, "VAR_POSITIONAL": 1, "KEYWORD_ONLY": 2, "VAR_KEYWORD": 3}
    return sorted(params, key=lambda p: (rank[p[1]], p[0] if p[1] == "KEYWORD_ONLY" else ""))


def _fmt(params: list[Param]) -> str:
    def one(name: str, kind: str, default: object) -> str:
        star = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(kind, "")
        mark = "/" if kind == "POSITIONAL_ONLY" else "*:" if kind == "KEYWORD_ONLY" else ""
        return f"{mark}{star}{name}" + ("" if default is inspect.Parameter.empty else f"={default!r}")
    return "(" + ", ".join(one(*p) for p in params) + ")"


def _binds(fn, call: ast.Call) -> str | None:
    """Return why ``call`` (its arguments, not their values) cannot call ``fn``, or None."""
    spread = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
    args = [None] * sum(not isinstance(a, ast.Starred) for a in call.args)
    kwargs = {k.arg: None for k in call.keywords if k.arg is not None}
    try:
        (inspect.signature(fn).bind_partial if spread else inspect.signature(fn).bind)(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def signature_drift(cls: type, delegations: Iterable[tuple[str, str, str, ast.Call]],
                    hides: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
                    adapts: Mapping[tuple[str, str], str] | None = None) -> dict[tuple[str, str], str]:
    """Return {(method, function): what differs} for the delegations of ``cls`` whose parameters do
    not match (``hides``: function parameters left at their default; ``adapts``: methods whose
    parameters are not compared), or whose call does not bind to the function."""
    hides = FACADE_HIDES if hides is None else hides
    adapts = FACADE_ADAPTS if adapts is None else adapts
    out = {}
    for method, module, name, call in delegations:
        fn = getattr(importlib.import_module(module), name)
        target = f"{module}.{name}"
        why = _binds(fn, call)
        if why:
            out[(method, name)] = f"{cls.__name__}.{method} calls {target} with arguments it does not take: {why}"
            continue
        hidden = hides.get((method, name), {})
        mine, theirs = _params(getattr(cls, method)), _params(fn, hidden=hidden)
        if (method, name) in adapts:
            if mine == theirs:
                out[(method, name)] = f"{cls.__name__}.{method} now matches {target}: it no longer adapts"
            continue
        for param in hidden:
            p = inspect.signature(fn).parameters.get(param)
            if p is None or p.default is inspect.Parameter.empty:
                out[(method, name)] = f"{target} has no parameter {param!r} with a default for {cls.__name__}.{method} to hide"
        if mine != theirs and (method, name) not in out:
            out[(method, name)] = f"{cls.__name__}.{method}{_fmt(mine)} vs {target}(ws, ...){_fmt(theirs)}"
    return out


def test_facade_delegations_are_found():
    found = {(m, f) for m, _mod, f, _call in facade_delegations()}
    # One of each area: understand, decide, act, tell, collect.
    for pair in [("analyze", "analyze"), ("update_topics", "update_topics"), ("add_ticket", "add_ticket"),
                 ("report", "report"), ("ingest_reddit", "ingest_reddit"), ("sync_tickets", "sync_all")]:
        assert pair in found
    listed = set(FACADE_HIDES) | set(FACADE_ADAPTS)
    assert listed <= found, f"listed but no such delegation: {sorted(listed - found)}"
    assert not set(FACADE_HIDES) & set(FACADE_ADAPTS)


def test_facade_methods_take_the_parameters_of_the_stage_function_they_call():
    from vocmine.workspace import Workspace

    drift = signature_drift(Workspace, facade_delegations())
    assert not drift, ("a Workspace method and the stage function it calls take different parameters: make "
                       "them match, or list the difference in FACADE_HIDES / FACADE_ADAPTS with the reason:\n"
                       + "\n".join(drift.values()))
    for (method, name), hidden in FACADE_HIDES.items():  # a hidden parameter the method took would be listed twice
        taken = set(inspect.signature(getattr(Workspace, method)).parameters)
        assert not taken & set(hidden), (method, name, taken & set(hidden))


def _facade(tmp_path: Path, method: str, stage: str) -> tuple[type, list]:
    """Build a one-method facade module in ``tmp_path`` over the stage module ``_drift_stage``."""
    import sys

    src = tmp_path / "_drift_facade.py"
    src.write_text(f"import _drift_stage\n\n\nclass Facade:\n{method}")
    (tmp_path / "_drift_stage.py").write_text(stage)
    sys.path.insert(0, str(tmp_path))
    try:
        for mod in ("_drift_stage", "_drift_facade"):
            sys.modules.pop(mod, None)
        facade = importlib.import_module("_drift_facade").Facade
        return facade, facade_delegations(src, "Facade", "_drift_stage")
    finally:
        sys.path.remove(str(tmp_path))


def test_signature_drift_is_caught_on_a_synthetic_facade(tmp_path):
    import sys

    stage = "def update(ws, *, refit=False, taxonomy=None, min_size=None):\n    return refit\n"
    method = ("    def update(self, *, refit=False, taxonomy=None):\n"
              "        from _drift_stage import update\n\n"
              "        return update(self, refit=refit, taxonomy=taxonomy)\n")
    try:
        facade, calls = _facade(tmp_path, method, stage)
        assert [(m, mod, f) for m, mod, f, _c in calls] == [("update", "_drift_stage", "update")]
        # A parameter of the stage function that the facade does not take: caught, unless listed.
        assert signature_drift(facade, calls, {}, {}) == {("update", "update"): (
            "Facade.update(*:refit=False, *:taxonomy=None) vs _drift_stage.update(ws, ...)"
            "(*:min_size=None, *:refit=False, *:taxonomy=None)")}
        assert signature_drift(facade, calls, {("update", "update"): {"min_size": "a knob"}}, {}) == {}
        # A method listed as adapting its arguments that now matches: the list is kept true.
        assert signature_drift(facade, calls, {("update", "update"): {"min_size": ""}}, {("update", "update"): ""}) == {
            ("update", "update"): "Facade.update now matches _drift_stage.update: it no longer adapts"}
        # Hiding a parameter the stage function does not have (or has without a default): caught.
        assert "no parameter 'refit2'" in signature_drift(facade, calls, {("update", "update"): {"refit2": ""}}, {})[
            ("update", "update")]
        # The bug of issue 16: the facade lost ``taxonomy``, which its callers still pass.
        facade, calls = _facade(tmp_path, method.replace(", taxonomy=None):", "):").replace(
            ", taxonomy=taxonomy)", ")"), stage)
        assert "(*:refit=False) vs" in signature_drift(facade, calls, {("update", "update"): {"min_size": ""}}, {})[
            ("update", "update")]
        # The stage function lost a parameter the facade still passes: caught even when listed as adapting.
        facade, calls = _facade(tmp_path, method, stage.replace(" taxonomy=None,", ""))
        drift = signature_drift(facade, calls, {}, {("update", "update"): "adapts"})
        assert drift == {("update", "update"): "Facade.update calls _drift_stage.update with arguments it does "
                                               "not take: got an unexpected keyword argument 'taxonomy'"}
    finally:
        for mod in ("_drift_stage", "_drift_facade"):
            sys.modules.pop(mod, None)


# -- stages use the store, never the facade ---------------------------------------------------------

def _facade_only_methods() -> set[str]:
    from vocmine.core.store import Store
    from vocmine.workspace import Workspace

    return {n for n in vars(Workspace) if callable(getattr(Workspace, n)) and not n.startswith("__")} - set(dir(Store))


def facade_calls(source: str, facade: set[str]) -> list[tuple[int, str]]:
    """Return (line, method) for each ``ws.<method>(...)`` / ``self.ws.<method>(...)`` / ``self._ws...`` call of a
    facade-only method in ``source``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in facade:
            owner = node.func.value
            if (isinstance(owner, ast.Name) and owner.id == "ws") or (
                    isinstance(owner, ast.Attribute) and owner.attr in ("ws", "_ws")):
                out.append((node.lineno, node.func.attr))
    return out


def test_the_facade_call_finder():
    assert facade_calls("def f(ws):\n    ws.ingest(source=s)\n    ws.db.conn.execute('x')\n", {"ingest"}) == \
        [(2, "ingest")]
    assert facade_calls("class A:\n    def f(self):\n        return self.ws.trends('topic')\n", {"trends"}) == \
        [(3, "trends")]


def test_stages_call_the_store_not_the_facade():
    """A stage function takes the workspace as its store (``ws.db``, ``ws.setting``, ``ws.run``,
    ``ws.state``): it calls other stages' functions, never a method that only the notebook facade
    has, so the facade stays one line per method and cannot drift from what stages do."""
    facade = _facade_only_methods()
    assert {"ingest", "trends", "phrases", "update_topics"} <= facade
    bad = []
    for stage in ("core", *STAGES):
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            for line, name in facade_calls(path.read_text(encoding="utf-8"), facade):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} calls ws.{name}()")
    assert not bad, "\n".join(bad)


def test_stage_functions_take_the_typed_store():
    """Every function of a stage (and of core) whose first parameter is the workspace declares it
    as ``Store``, so the type checker holds stages to what the store offers."""
    bad = []
    for stage in ("core", *STAGES):
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.args.args \
                        and node.args.args[0].arg == "ws":
                    ann = node.args.args[0].annotation
                    text = ast.unparse(ann) if ann is not None else ""
                    if text.strip("'\"") != "Store":
                        bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}(ws: {text or '?'})")
    assert not bad, "\n".join(bad)

"""The app graph of docs/architecture.md, checked: who may depend on whom, and no cycle.

A dependency is any of: a Python import (read with `ast`, not by importing: an import the
interpreter never runs, under `if TYPE_CHECKING:`, is left out), an `import_module("...")` call
with a literal name, a model relation (string foreign keys included: read from the app
registry), and a migration's dependency on another app's migration.

The nodes are the apps (`reforms`, `recommendations`, `api`), each of institute's sub-packages
(`institute.editorial`, `institute.sources`, …), and each of institute's own modules (the
project: `institute.urls`, `institute.views`, `institute.admin_site`, …).
"""

import ast
import sys
from pathlib import Path

from django.apps import apps
from django.db import migrations as migration_ops
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("institute", "reforms", "recommendations", "api")
APPS = ("reforms", "recommendations")
# The generic packages: they take the model they work on as a parameter or find it in the app
# registry, and never depend on the apps built on them.
GENERIC = (
    "institute.editorial",
    "institute.sources",
    "institute.datasets",
    "institute.listings",
    "institute.sharing",
    "institute.dates",
    "institute.control_characters",
    "institute.constraint_checks",
    "institute.translations",
    "institute.languages",
)

# Exceptions, each with its reason. Kept exact: a test fails when one is no longer needed.
#
# `Citation` (institute.sources) has foreign keys into both apps: one table for every citation
# keeps one search-vector trigger, one COPY export and the database's unique constraints (one
# citation of a source per entry), which per-owner tables would each need again. The design
# (Owners, in the editorial core's design) allows it.
ALLOWED_RELATIONS = {
    ("institute.Citation", "reform"),
    ("institute.Citation", "recommendation"),
    ("institute.Citation", "response"),
}
ALLOWED_RELATION_MODELS = {label for label, _ in ALLOWED_RELATIONS}
# Dependencies of applied migrations, which are never edited: institute's initial migration
# creates Citation with its foreign keys into both apps, and its role migrations grant the
# apps' permissions; the recommendations app's migrations date from before `Response` moved to
# the reforms app. New migrations follow the graph (or only change Citation, for its reason).
FROZEN_MIGRATION_DEPENDENCIES = {
    (("institute", "0002_initial"), ("recommendations", "0001_initial")),
    (("institute", "0002_initial"), ("reforms", "0001_initial")),
    (
        ("institute", "0004_editorial_roles"),
        ("reforms", "0003_reform_add_submitted_and_assigned_reviewer"),
    ),
    (
        ("institute", "0004_editorial_roles"),
        ("recommendations", "0002_recommendation_add_submitted_and_assigned_reviewer"),
    ),
    (("institute", "0006_roles_may_import"), ("reforms", "0004_reform_import_permission")),
    (
        ("institute", "0006_roles_may_import"),
        ("recommendations", "0003_recommendation_import_permission_response_note_blank"),
    ),
    (("recommendations", "0001_initial"), ("reforms", "0001_initial")),
    (
        ("recommendations", "0006_response_add_relation"),
        ("reforms", "0010_reform_public_listing_indexes"),
    ),
}


# --- the modules and their nodes -----------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = source_modules()


def node_of(module: str) -> str:
    """The node a module belongs to: its app, its institute sub-package, or itself (one of
    institute's own modules)."""
    parts = module.split(".")
    if parts[0] != "institute":
        return parts[0]
    if len(parts) > 1 and (ROOT / "institute" / parts[1]).is_dir():
        return f"institute.{parts[1]}"
    return module


# --- Python imports ------------------------------------------------------------------------------


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str, importer: str, level: int, is_package: bool) -> str:
    if level == 0:
        return name
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _project_module(name: str, modules=None) -> str | None:
    """The project module an imported name is (or is in), if any."""
    modules = MODULES if modules is None else modules
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_third_party(name: str) -> bool:
    top = name.split(".")[0]
    return bool(top) and top not in PACKAGES and top not in sys.stdlib_module_names


def _explained(lines: list[str], lineno: int) -> bool:
    """An import inside a function may say why, in a comment on its line or the line above."""
    here = lines[lineno - 1]
    above = lines[lineno - 2].strip() if lineno > 1 else ""
    return "#" in here or above.startswith("#")


def read_imports(source: str, module: str, *, is_package: bool = False, modules=None):
    """What `source` (module `module`) depends on: the project modules it imports when loaded
    (`import_module("...")` calls with a literal name included), and the imports it makes
    inside functions without a comment saying why: (line, project module or third-party name).
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    top: set[str] = set()
    hidden: list[tuple[int, str]] = []

    def imported_names(node) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = _resolve(node.module or "", module, node.level, is_package)
        # `from pkg import name`: the submodule if `name` is one, else the package itself.
        return [
            f"{base}.{alias.name}"
            if _project_module(f"{base}.{alias.name}", modules) == f"{base}.{alias.name}"
            else base
            for alias in node.names
        ]

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            names = []
            if isinstance(child, ast.Import | ast.ImportFrom):
                names = imported_names(child)
            elif (
                # import_module("x"), and include("x") of a URLconf, import module x.
                isinstance(child, ast.Call)
                and getattr(child.func, "id", getattr(child.func, "attr", None))
                in ("import_module", "include")
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            ):
                names = [child.args[0].value]
            for name in names:
                target = _project_module(name, modules)
                if target == module:
                    continue
                if in_function and (
                    target or (_is_third_party(name) and not _explained(lines, child.lineno))
                ):
                    hidden.append((child.lineno, target or name))
                if target and not in_function:
                    top.add(target)
            # An AppConfig's ready() runs once, at startup, after the models: what it imports
            # is a dependency like a module-level import, not one hidden in a function.
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            nested = in_function or (is_function and getattr(child, "name", "") != "ready")
            visit(child, nested)

    visit(tree, False)
    return top, hidden


def imports_of(module: str):
    path = MODULES[module]
    return read_imports(
        path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
    )


IMPORTS = {module: imports_of(module) for module in MODULES}


# --- model relations and migrations --------------------------------------------------------------


def relation_edges(models) -> set[tuple[str, str, str]]:
    """(node, node, "Model.field") for every relation of the project's models to another
    node's model, string foreign keys included (the registry has resolved them)."""
    edges = set()
    for model in models:
        for field in model._meta.get_fields(include_hidden=True):
            if field.auto_created and not field.concrete:
                continue  # a reverse relation: the other model's field is the dependency
            target = getattr(field, "related_model", None)
            if not isinstance(target, type):
                continue
            a, b = node_of(model.__module__), node_of(target.__module__)
            if a != b and b.split(".")[0] in PACKAGES:
                edges.add((a, b, f"{model._meta.label}.{field.name}"))
    return edges


def _operated_models(migration) -> set[str]:
    names = set()
    for op in migration.operations:
        ops = [op]
        if isinstance(op, migration_ops.SeparateDatabaseAndState):
            ops = [*op.state_operations, *op.database_operations]
        for inner in ops:
            name = getattr(inner, "model_name", None) or getattr(inner, "name", None)
            names.add(f"{migration.app_label}.{name}".lower() if name else "?")
    return names


def migration_edges(disk_migrations: dict) -> set[tuple[str, str, tuple]]:
    """(node, node, (migration, dependency)) for every dependency of a migration on another
    app's migration, the frozen ones and those of migrations that change only a model whose
    relations are allowed left out."""
    allowed_models = {label.lower() for label in ALLOWED_RELATION_MODELS}
    edges = set()
    for key, migration in disk_migrations.items():
        for dependency in migration.dependencies:
            if dependency[0] == key[0] or dependency[0] not in PACKAGES:
                continue
            if (key, tuple(dependency)) in FROZEN_MIGRATION_DEPENDENCIES:
                continue
            if _operated_models(migration) <= allowed_models:
                continue
            a = node_of(f"{apps.get_app_config(key[0]).name}.migrations")
            b = node_of(f"{apps.get_app_config(dependency[0]).name}.migrations")
            edges.add((a, b, (key, tuple(dependency))))
    return edges


def project_migrations() -> dict:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: m for key, m in loader.disk_migrations.items() if key[0] in PACKAGES}


MIGRATIONS = project_migrations()
RELATIONS = relation_edges(apps.get_models())


def graph_of(imports, relations, migration_deps) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, (targets, _) in imports.items():
        for target in targets:
            if node_of(module) != node_of(target):
                graph.setdefault(node_of(module), set()).add(node_of(target))
    for a, b, what in relations:
        model, _, field = what.rpartition(".")
        if (model, field) not in ALLOWED_RELATIONS:
            graph.setdefault(a, set()).add(b)
    for a, b, _ in migration_deps:
        graph.setdefault(a, set()).add(b)
    return graph


GRAPH = graph_of(IMPORTS, RELATIONS, migration_edges(MIGRATIONS))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strongconnect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in graph.get(todo.pop(), ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def _in(node: str, prefixes) -> bool:
    return any(node == p or node.startswith(p + ".") for p in prefixes)


# --- the checker checked -------------------------------------------------------------------------


def test_the_checker_sees_imports_and_cycles():
    """The graph is read right: known edges are found, and a made-up cycle is one."""
    assert "institute.editorial.models" in IMPORTS["institute.editorial.versions"][0]
    assert "institute.editorial.states" in IMPORTS["institute.editorial.models"][0]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_checker_sees_import_module_string_foreign_keys_and_migrations():
    modules = {"pkg.a": None, "pkg.b": None, "pkg.c": None}
    source = (
        "from importlib import import_module\n"
        "import_module('pkg.b')\n"
        "def f():\n"
        "    import_module('pkg.c')\n"
        "    import yaml\n"
        "    import openpyxl  # heavy, and only the spreadsheet export needs it\n"
    )
    top, hidden = read_imports(source, "pkg.a", modules=modules)
    assert top == {"pkg.b"}
    assert hidden == [(4, "pkg.c"), (5, "yaml")]
    # A string foreign key ("recommendations.Recommendation") is an edge between apps.
    assert ("reforms", "recommendations", "reforms.Response.recommendation") in RELATIONS
    # A migration's dependency on another app's migration is one too.
    deps = migration_edges(MIGRATIONS)
    assert (
        "reforms",
        "recommendations",
        (
            ("reforms", "0012_response_moved_from_recommendations"),
            ("recommendations", "0006_response_add_relation"),
        ),
    ) in deps
    assert "institute.sources.datasets" in IMPORTS["institute.apps"][0]
    assert "api.urls" in IMPORTS["institute.urls"][0]  # include("api.urls")


def test_the_exceptions_are_still_needed():
    """Each allowed relation and frozen migration dependency still exists: a stale exception
    would allow what nothing needs."""
    found = {tuple(what.rsplit(".", 1)) for _, _, what in RELATIONS}
    assert found >= ALLOWED_RELATIONS
    deps = {(key, tuple(d)) for key, m in MIGRATIONS.items() for d in m.dependencies}
    assert deps >= FROZEN_MIGRATION_DEPENDENCIES


# --- the rules -----------------------------------------------------------------------------------


def test_there_is_no_cycle():
    assert cycles(GRAPH) == []


def test_recommendations_never_depend_on_reforms():
    """Reforms answer recommendations: the reforms app builds on the recommendations app."""
    assert "reforms" not in reachable(GRAPH, "recommendations")
    assert "recommendations" in reachable(GRAPH, "reforms")


def test_generic_packages_never_depend_on_the_apps():
    offending = sorted(
        f"{node} -> {target}"
        for node, targets in GRAPH.items()
        if _in(node, GENERIC)
        for target in targets
        if target in (*APPS, "api")
    )
    assert offending == []


def test_the_apps_build_only_on_institutes_generic_packages():
    """reforms and recommendations build on institute's generic packages; institute's project
    modules (settings, urls, the admin site, the insights) and the API are not theirs to use."""
    offending = sorted(
        f"{node} -> {target}"
        for node, targets in GRAPH.items()
        if node in APPS
        for target in targets
        # institute.migrations: their migrations follow the institute app's (Source, Citation)
        if target not in APPS and not _in(target, (*GENERIC, "institute.migrations"))
    )
    assert offending == []


def test_only_the_projects_urls_build_on_the_api():
    users = sorted(node for node, targets in GRAPH.items() if "api" in targets)
    assert users == ["institute.urls"]


def test_no_import_hides_in_a_function():
    """An import inside a function is how a cycle is dodged, or a dependency kept out of sight.
    A third-party one may stay there with a comment saying why (a heavy optional module)."""
    hidden = [
        f"{module}:{line} imports {target}"
        for module, (_, inner) in IMPORTS.items()
        if ".migrations." not in f".{module}."
        for line, target in inner
    ]
    assert hidden == []

"""The package layout of docs/architecture.md, checked on the source: which package may import
which, no import cycles, no import inside a function to dodge one, no module over the size a
reader can hold.

Read with `ast`, not by importing: an import the interpreter never runs (`if TYPE_CHECKING:`)
is not a dependency and is left out.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("institute", "reforms", "recommendations")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


MODULES = source_modules()


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


def _project_module(name: str) -> str | None:
    """The project module an imported name is (or is in), if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> tuple[set[str], list[tuple[int, str]]]:
    """The project modules `module` imports when it is loaded, and the imports it makes inside
    functions (line, module)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    top: set[str] = set()
    inner: list[tuple[int, str]] = []

    def targets(node) -> list[str]:
        if isinstance(node, ast.Import):
            found = {_project_module(alias.name) for alias in node.names}
        else:
            # `from pkg import name`: the submodule if `name` is one, else the package itself.
            base = _resolve(node.module or "", module, node.level, is_package)
            found = {
                _project_module(f"{base}.{alias.name}") or _project_module(base)
                for alias in node.names
            }
        return sorted(m for m in found if m and m != module)

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in targets(child):
                    if in_function:
                        inner.append((child.lineno, target))
                    else:
                        top.add(target)
            else:
                nested = in_function or isinstance(
                    child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                )
                visit(child, nested)

    visit(tree, False)
    return top, inner


GRAPH = {module: imports_of(module)[0] for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
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


def test_the_checker_sees_imports_and_cycles():
    """The graph is read right: known edges are found, and a made-up cycle is one."""
    assert "institute.editorial.models" in GRAPH["institute.editorial.versions"]
    assert "institute.editorial.states" in GRAPH["institute.editorial.models"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_there_is_no_import_cycle():
    assert cycles(GRAPH) == []


def test_no_project_import_hides_in_a_function():
    """An import inside a function is how a cycle is dodged; the layout has none to dodge."""
    hidden = [
        f"{module}:{line} imports {target}"
        for module in MODULES
        for line, target in imports_of(module)[1]
    ]
    assert hidden == []


# The generic packages take the model they work on as a parameter or find it in the app
# registry: they never import the apps built on them.
GENERIC = ("institute.editorial", "institute.sources", "institute.datasets")
APPS = ("reforms", "recommendations")


def test_generic_packages_never_import_the_apps():
    offending = {
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if any(module == p or module.startswith(p + ".") for p in GENERIC)
        for target in targets
        if target.split(".")[0] in APPS
    }
    assert sorted(offending) == []


def test_recommendations_and_reforms_import_only_what_they_build_on():
    """reforms and recommendations build on institute's packages; institute's project modules
    (settings, urls, the admin site) are not theirs to import."""
    allowed = (*GENERIC, "institute.dates", "institute.listings")
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] in APPS
        for target in targets
        if target.split(".")[0] == "institute"
        and not any(target == a or target.startswith(a + ".") for a in allowed)
    )
    assert offending == []


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {
        module: n
        for module, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}

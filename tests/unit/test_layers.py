"""Layers only look down: every import inside paddles_mongo goes to its own layer or one below
it (read from the source, so a new module or import is checked as soon as it is written)."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "paddles_mongo"

# Top to bottom. A module's layer is its first match: a package prefix (`api.`) or a module.
LAYERS = [
    ("the app and its tools", ("__init__", "commands.", "importer", "repairs", "gunicorn_config")),
    ("web pages", ("ui.",)),
    ("api", ("api.", "errors", "logs")),
    ("schemas", ("schemas.",)),
    ("services", ("services.", "metrics")),
    ("domain", ("domain.",)),
    ("db", ("db", "query_policy", "page_cache")),
    ("foundations", ("config", "exceptions", "timeformat", "storage", "run_dimensions",
                     "documents", "text_search")),
]
# What the modules of a package must not use: the domain is plain Python, services speak
# MongoDB but not HTTP, the blueprints reach the database only through services. (errors.py,
# beside the api, does handle pymongo's exceptions: a lost database answers 503.)
FORBIDDEN_LIBRARIES = {
    "domain.": {"flask", "flask_smorest", "werkzeug", "marshmallow", "pymongo", "bson"},
    "services.": {"flask", "flask_smorest", "werkzeug", "marshmallow"},
    "api.": {"pymongo", "bson"},
    "ui.": {"pymongo", "bson"},
}
FORBIDDEN_MODULES = {"api.": {"db", "query_policy"}, "ui.": {"db", "query_policy"}}


def forbidden(table, name):
    return set().union(*(banned for package, banned in table.items()
                         if name.startswith(package)))


def module_name(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def layer_of(name):
    for rank, (layer, members) in enumerate(LAYERS):
        if any(name == member.rstrip(".") or member.endswith(".") and name.startswith(member)
               for member in members):
            return rank, layer
    raise AssertionError(f"paddles_mongo.{name} is in no layer: add it to LAYERS")


def imports(path):
    """(package modules, outside libraries) that the module at `path` imports."""
    name = module_name(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    internal, libraries = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module is None or is_package(target):  # `from ..services import jobs`
                internal.update(f"{target}.{alias.name}".strip(".") for alias in node.names)
            else:
                internal.add(target)
        elif isinstance(node, ast.ImportFrom):
            libraries.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            libraries.update(alias.name.split(".")[0] for alias in node.names)
    internal = {target for target in internal if target}
    libraries.discard("paddles_mongo")
    return internal, libraries


MODULES = sorted(PACKAGE.rglob("*.py"))


def is_package(name):
    return (PACKAGE / name.replace(".", "/") / "__init__.py").exists()


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_a_module_imports_only_its_own_layer_or_below(path):
    name = module_name(path)
    rank, layer = layer_of(name)
    internal, libraries = imports(path)
    for target in internal:
        target_rank, target_layer = layer_of(target)
        assert target_rank >= rank, f"{name} ({layer}) imports {target} ({target_layer})"
    assert not libraries & forbidden(FORBIDDEN_LIBRARIES, name), (name, libraries)
    assert not internal & forbidden(FORBIDDEN_MODULES, name), (name, internal)


@pytest.mark.parametrize("path", sorted((PACKAGE / "api").glob("*.py")),
                         ids=lambda path: module_name(path))
def test_a_blueprint_imports_no_other_blueprint(path):
    if path.name == "__init__.py":
        return  # the list of blueprints
    internal, _libraries = imports(path)
    assert {target for target in internal if target.startswith("api.")} <= {"api.support"}


def test_the_layer_table_places_every_module():
    assert {layer_of(module_name(path))[1] for path in MODULES} == {layer for layer, _ in LAYERS}

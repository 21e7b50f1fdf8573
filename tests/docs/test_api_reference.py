"""docs/api.md lists every route the application registers, with its methods, and no route
that does not exist: its route index is compared with the app's url_map both ways."""
import os
import re
from pathlib import Path

from paddles_mongo import create_app
from paddles_mongo.config import load_settings

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# Flask answers these on every route by itself; the index lists the others.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
# A variable part: `<converter:name>` in a Flask rule, `{name}` in the document.
VARIABLE = re.compile(r"<[^>]*>|\{[^}]*\}")
INDEX_ROW = re.compile(r"^\| `(/[^`]*)` \| ([A-Z, ]+) \|")


def route_key(path):
    return VARIABLE.sub("{}", path)


def registered_routes():
    """{route key: methods} of the app, a path's rules together (the methods a URL only refuses
    are routed apart from its others). No database is contacted: the client connects lazily."""
    app = create_app(load_settings(path=os.devnull, environ={}))
    paths = {}
    for rule in app.url_map.iter_rules():
        paths.setdefault(rule.rule, set()).update(rule.methods - IMPLICIT_METHODS)
    routes = {route_key(path): methods for path, methods in paths.items()}
    assert len(routes) == len(paths), "two rules differ only in their variable names"
    return routes


def documented_routes():
    """{route key: methods} from the rows of the document's "Route index" section."""
    text = API_DOC.read_text()
    section = text.split("\n## Route index\n", 1)[1].split("\n## ", 1)[0]
    routes = {}
    for line in section.splitlines():
        row = INDEX_ROW.match(line)
        if row:
            key = route_key(row.group(1))
            assert key not in routes, f"{row.group(1)} is listed twice"
            routes[key] = {method.strip() for method in row.group(2).split(",")}
    return routes


def test_every_registered_route_is_in_the_route_index_with_its_methods():
    documented = documented_routes()
    for route, methods in registered_routes().items():
        assert route in documented, f"{route} is missing from docs/api.md's route index"
        assert documented[route] == methods, route


def test_the_route_index_lists_only_registered_routes():
    registered = registered_routes()
    assert documented_routes().keys() <= registered.keys()

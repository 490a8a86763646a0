"""The OpenAPI document is generated from the route table and the pydantic models, so it lists
exactly the routes the app serves with exactly the schemas it validates; the docs page is served
from vendored files (no CDN)."""

from __future__ import annotations

import re

from bot.web.api import STATIC_DIR, build_api, openapi
from bot.web.api.routes import ROUTES
from bot.web.app import SERVICES
from tests.api.conftest import Api


async def test_the_document_lists_exactly_the_served_routes(api: Api) -> None:
    doc = (await api.get("/api/openapi.json", None)).json
    assert doc == openapi() and doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == served_routes() and len(documented) == len(ROUTES)
    # and the router serves them: each documented operation answers something other than "no such endpoint"
    for method, path in sorted(documented):
        reply = await api.call(method, path.replace("{ref}", "SO-100").replace("{machine}", "M9").replace("{kind}", "orders"), "alice")
        assert reply.json.get("error", {}).get("code") != "no_such_endpoint", (method, path)


def served_routes() -> set[tuple[str, str]]:
    """What the API's router really serves (not the table): method and path, docs aside."""
    app = build_api(SERVICES)
    out = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method in ("GET", "POST") and path.startswith("/v1/"):
            out.add((route.method, "/api" + path))
    return out


def test_the_schemas_are_the_models_own() -> None:
    doc = openapi()
    schemas = doc["components"]["schemas"]
    for route in ROUTES:
        for model in filter(None, (route.body, route.response)):
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            own.pop("$defs", None)
            assert schemas[model.__name__] == own, model.__name__
    refs = set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', str(doc).replace("'", '"')))
    assert refs <= set(schemas)


def test_every_operation_documents_roles_errors_and_auth() -> None:
    for path, ops in openapi()["paths"].items():
        for method, op in ops.items():
            assert op["security"] == [{"bearer": []}]
            assert {"401", "403", "404", "422"} <= set(op["responses"]), (method, path)
            assert "Allowed roles:" in op["description"]
    kpis = openapi()["paths"]["/api/v1/kpis"]["get"]
    assert kpis["description"].endswith("Allowed roles: manager, admin.")


async def test_the_docs_page_uses_only_vendored_files(api: Api) -> None:
    page = await api.get("/api/docs", None)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert "http://" not in html and "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"static/swagger-ui/swagger-ui-bundle.js", "static/swagger-ui/swagger-ui.css", "static/docs.js"} <= set(assets)
    for asset in assets:
        reply = await api.get("/api/" + asset, None)
        assert reply.status == 200 and len(reply.body) > 100, asset
    version = (STATIC_DIR / "swagger-ui" / "VERSION").read_text()
    assert version.startswith("swagger-ui-dist 5.")
    assert (await api.get("/api/", None)).status == 302

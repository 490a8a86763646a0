"""The REST API at ``/api``: ``/api/v1/...`` endpoints (token auth, same roles as chat), the
OpenAPI 3.1 document at ``/api/openapi.json`` (built from the route table and the pydantic
models) and a docs page at ``/api/docs`` (swagger-ui, vendored under ``static/``).

``setup_api(app, SERVICES)`` mounts it; the handlers find the services under that key.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiohttp import web

from scheduler_core.services.context import Services

from .framework import endpoint, json_errors, openapi_document
from .routes import ROUTES

__all__ = ["API_PREFIX", "STATIC_DIR", "build_api", "openapi", "setup_api"]

API_PREFIX = "/api"
STATIC_DIR = Path(str(files(__package__) / "static"))
_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paichan API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="static/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="static/swagger-ui/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="static/docs.js"></script>
</body></html>
"""


def openapi() -> dict[str, Any]:
    """The OpenAPI document of the API (the same object ``/api/openapi.json`` serves)."""
    return openapi_document(ROUTES, prefix=API_PREFIX)


def build_api(services_key: web.AppKey[Services]) -> web.Application:
    """The API as a sub-application; ``services_key`` is where the parent app keeps the services."""
    api = web.Application(middlewares=[json_errors])

    def services_of(request: web.Request) -> Services:
        return request.config_dict[services_key]

    for route in ROUTES:
        api.router.add_route(route.method, route.path, endpoint(route, services_of), name=route.operation_id)
    document = json.dumps(openapi(), ensure_ascii=False).encode()

    async def openapi_json(request: web.Request) -> web.Response:
        return web.Response(body=document, content_type="application/json")

    async def docs(request: web.Request) -> web.Response:
        return web.Response(text=_DOCS_HTML, content_type="text/html")

    async def docs_slash(request: web.Request) -> web.Response:
        raise web.HTTPFound(API_PREFIX + "/docs")

    api.router.add_get("/openapi.json", openapi_json)
    api.router.add_get("/docs", docs)
    api.router.add_get("/", docs_slash)
    api.router.add_static("/static", STATIC_DIR, append_version=False)
    return api


def setup_api(app: web.Application, services_key: web.AppKey[Services]) -> None:
    """Mount the API at ``/api`` on ``app``."""
    app.add_subapp(API_PREFIX, build_api(services_key))

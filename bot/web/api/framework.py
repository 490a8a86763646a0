"""The API's plumbing, written once: the route table type, authentication, language, request
parsing, the ONE mapping of errors to JSON 4xx, and the OpenAPI document built from the table.

A handler receives a :class:`Call` (services, actor, translator, validated body and query, path
parameters) and returns a pydantic model; everything else happens here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, RootModel, ValidationError
from pydantic.json_schema import models_json_schema

from scheduler_core.reports.errors import error_message, row_error_message
from scheduler_core.reports.i18n import N_, Lang, Tr, resolve_lang, translator
from scheduler_core.services.api_tokens import authenticate
from scheduler_core.services.context import Services
from scheduler_core.services.errors import NotAuthenticated, ServiceError
from scheduler_core.services.importing import ImportRejected
from scheduler_core.services.policy import ACTIONS
from scheduler_core.services.ports import Actor, Role

from .models import Error, ErrorBody, FieldProblem

__all__ = ["MAX_API_BODY", "ApiError", "Call", "Route", "endpoint", "error_response", "openapi_document"]

log = logging.getLogger(__name__)

MAX_API_BODY = 64 * 1024
ServicesOf = Callable[[web.Request], Services]


class ApiError(Exception):
    """An error of the HTTP layer itself (bad JSON, bad field, no such endpoint ...)."""

    def __init__(self, status: int, code: str, details: list[FieldProblem] | None = None, **params: object) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params
        self.details = details or []


# Messages of the HTTP layer (use-case codes are in scheduler_core.reports.errors.MESSAGES).
API_MESSAGES: dict[str, str] = {
    "invalid_json": N_("The request body is not valid JSON."),
    "invalid_request": N_("The request is not valid: {problems}"),
    "body_too_large": N_("The request body is larger than {limit} bytes."),
    "no_such_endpoint": N_("There is no such API endpoint."),
    "method_not_allowed": N_("This endpoint does not accept {method}."),
    "internal_error": N_("Something went wrong on our side. Please try again later."),
}

FIELD_MESSAGES: dict[str, str] = {
    "missing": N_("{field} is required."),
    "extra_forbidden": N_("{field} is not a known field."),
    "string_too_long": N_("{field} is longer than {limit} characters."),
    "too_long": N_("{field} is longer than {limit} characters."),
    "string_too_short": N_("{field} must not be empty."),
    "greater_than_equal": N_("{field} must be at least {limit}."),
    "less_than_equal": N_("{field} must be at most {limit}."),
    "datetime": N_("{field} must be a date and time with its timezone, like 2026-12-05T17:00:00+08:00."),
    "choice": N_("{field} must be one of: {expected}."),
    "type": N_("{field} has the wrong type."),
    "invalid": N_("{field} is not valid."),
}
_DATETIME_ERRORS = frozenset({"datetime_type", "datetime_parsing", "datetime_from_date_parsing", "timezone_aware",
                              "datetime_object_invalid"})
_CHOICE_ERRORS = frozenset({"literal_error", "enum", "union_tag_invalid", "union_tag_not_found"})


@dataclass(frozen=True)
class Call:
    """What a handler gets."""

    request: web.Request
    svc: Services
    actor: Actor
    tr: Tr
    body: Any = None
    query: Any = None

    def path(self, name: str) -> str:
        return self.request.match_info[name]


Handler = Callable[[Call], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Route:
    """One endpoint: the table both the router and the OpenAPI document are built from."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    response: type[BaseModel]
    action: str | None = None  # the policy action: documents who may call it
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    description: str = ""
    path_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.lstrip("_")


# --- language --------------------------------------------------------------------------------------------


def request_lang(request: web.Request, actor: Actor | None = None, *, query: bool = True) -> Lang:
    """``?lang=`` wins, then the first supported Accept-Language tag, then the user's language,
    then English. Raises ApiError for an unsupported ``?lang`` (unless ``query`` is False)."""
    explicit = request.query.get("lang") if query else None
    if explicit is not None:
        try:
            return resolve_lang(explicit, {})
        except ValueError:
            raise ApiError(400, "bad_lang", lang=explicit[:20]) from None
    for tag in _accept_language(request.headers.get("Accept-Language", "")):
        try:
            return resolve_lang(tag, {})
        except ValueError:
            continue
    if actor is not None:
        try:
            return resolve_lang(actor.lang, {})
        except ValueError:
            pass
    return "en"


def _accept_language(header: str) -> list[str]:
    """Tags by preference (``zh-CN,zh;q=0.9,en;q=0.8``); ``*`` and q=0 dropped."""
    tags: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            tags.append((-q, i, tag))
    return [t for _, _, t in sorted(tags)]


def _safe_lang(request: web.Request) -> Lang:
    """The language to explain an error in, even when ``?lang`` itself is the error."""
    try:
        return request_lang(request)
    except ApiError:
        return request_lang(request, query=False)


# --- errors ----------------------------------------------------------------------------------------------


def error_response(status: int, code: str, message: str, details: list[FieldProblem] | None = None,
                   headers: Mapping[str, str] | None = None) -> web.Response:
    """The ONE shape of every API error: ``{"error": {"code", "message", "status", "details"}}``."""
    body = Error(error=ErrorBody(code=code, message=message, status=status, details=details or []))
    return web.Response(status=status, body=body.model_dump_json().encode(), content_type="application/json",
                        headers=headers)


def _service_error(tr: Tr, exc: ServiceError) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="paichan"'} if isinstance(exc, NotAuthenticated) else None
    details = None
    if isinstance(exc, ImportRejected):  # every bad row, as the file import lists them
        details = [FieldProblem(field=f"body.rows[{e.line - 1}]" + (f".{e.column}" if e.column else ""), code=e.code,
                                message=row_error_message(tr, e)) for e in exc.errors[:200]]
    return error_response(exc.status, exc.code, error_message(tr, exc), details, headers=headers)


def _api_error(tr: Tr, exc: ApiError) -> web.Response:
    if exc.code == "invalid_request":
        message = _api_text(tr, exc.code, problems=" ".join(d.message for d in exc.details))
    elif exc.code in API_MESSAGES:
        message = _api_text(tr, exc.code, **exc.params)
    else:
        message = error_message(tr, exc)  # a use-case code (bad_lang ...)
    return error_response(exc.status, exc.code, message, exc.details)


def _api_text(tr: Tr, code: str, **params: object) -> str:
    msgid = API_MESSAGES[code]
    return tr.gettext(msgid, **params)


def _problems(tr: Tr, exc: ValidationError, where: str, *, tagged: bool = False) -> list[FieldProblem]:
    """Localized field problems; ``tagged``: the body is a discriminated union, whose errors start
    with the tag (``("quantity", "quantity")``), which is not a field."""
    out = []
    for e in exc.errors(include_url=False)[:20]:
        loc = [str(x) for x in e["loc"]]
        if tagged and loc:
            loc = loc[1:]
        name = ".".join([where, *loc]) if loc else where
        kind = e["type"]
        ctx = e.get("ctx") or {}
        if kind in _DATETIME_ERRORS:
            key = "datetime"
        elif kind in _CHOICE_ERRORS:
            key = "choice"
        elif kind.endswith("_type") or kind.endswith("_parsing") or kind in ("model_type", "model_attributes_type"):
            key = "type"
        elif kind in FIELD_MESSAGES:
            key = kind
        else:
            key = "invalid"
        limit = ctx.get("max_length", ctx.get("ge", ctx.get("le", ctx.get("min_length", ""))))
        expected = str(ctx.get("expected", ctx.get("expected_tags", ""))).replace("'", "")
        message = tr.gettext(FIELD_MESSAGES[key], field=name, limit=limit, expected=expected) \
            if key in ("string_too_long", "too_long", "greater_than_equal", "less_than_equal", "choice") \
            else tr.gettext(FIELD_MESSAGES[key], field=name)
        out.append(FieldProblem(field=name, code=kind, message=message))
    return out


@web.middleware
async def json_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    """Unknown endpoints and wrong methods under /api answer JSON too."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        tr = translator(_safe_lang(request))
        return error_response(405, "method_not_allowed", _api_text(tr, "method_not_allowed", method=request.method[:10]),
                              headers={"Allow": ",".join(sorted(exc.allowed_methods))})
    except web.HTTPNotFound:
        tr = translator(_safe_lang(request))
        return error_response(404, "no_such_endpoint", _api_text(tr, "no_such_endpoint"))
    except web.HTTPRequestEntityTooLarge:
        tr = translator(_safe_lang(request))
        return error_response(413, "body_too_large", _api_text(tr, "body_too_large", limit=MAX_API_BODY))
    except web.HTTPException:
        raise
    except Exception:  # a bug or an outage, not the caller's fault: logged with its traceback, JSON 500
        log.exception("API %s %s failed", request.method, request.path)
        tr = translator(_safe_lang(request))
        return error_response(500, "internal_error", _api_text(tr, "internal_error"))


# --- the endpoint wrapper --------------------------------------------------------------------------------


def endpoint(route: Route, services_of: ServicesOf) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler of ``route``: authenticate, parse, call, render; map errors once."""

    async def handle(request: web.Request) -> web.Response:
        tr = translator(_safe_lang(request))
        try:
            svc = services_of(request)
            actor = await authenticate(svc, _bearer(request))
            tr = translator(request_lang(request, actor))
            query = _parse_query(tr, route, request)
            body = await _parse_body(tr, route, request)
            result = await route.handler(Call(request, svc, actor, tr, body, query))
        except ServiceError as exc:
            return _service_error(tr, exc)
        except ApiError as exc:
            return _api_error(tr, exc)
        return web.Response(status=route.status, body=result.model_dump_json().encode(),
                            content_type="application/json")

    handle.__name__ = route.operation_id
    return handle


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _parse_query(tr: Tr, route: Route, request: web.Request) -> Any:
    if route.query is None:
        return None
    raw = {k: request.query.getone(k) for k in request.query if k != "lang"}
    try:
        return route.query.model_validate(raw)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", _problems(tr, exc, "query")) from None


async def _parse_body(tr: Tr, route: Route, request: web.Request) -> Any:
    if route.body is None:
        return None
    if request.content_length is not None and request.content_length > MAX_API_BODY:
        raise ApiError(413, "body_too_large", limit=MAX_API_BODY)
    data = await request.content.read(MAX_API_BODY + 1)
    if len(data) > MAX_API_BODY:
        raise ApiError(413, "body_too_large", limit=MAX_API_BODY)
    try:
        return route.body.model_validate_json(data or b"null")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "invalid_json") from None
        tagged = issubclass(route.body, RootModel)
        raise ApiError(422, "invalid_request", _problems(tr, exc, "body", tagged=tagged)) from None


# --- OpenAPI ---------------------------------------------------------------------------------------------

_ERROR_STATUSES = {
    "400": "bad input (invalid JSON, a value the use case rejects); nothing was changed",
    "401": "no valid API token",
    "403": "the token's role may not do this",
    "404": "unknown, or not yours: the two answers are the same",
    "409": "the state moved on (no plan yet, change already confirmed or expired)",
    "413": "body too large",
    "422": "a field is missing, of the wrong type or out of range; nothing was changed",
    "500": "a fault on the server's side (logged with its traceback)",
}


def _roles(action: str | None) -> str:
    if action is None:
        return "every role"
    allowed = ACTIONS.get(action, frozenset())
    return ", ".join(r.value for r in Role if r in allowed)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is text or absent, never JSON null: ``anyOf [X, null]`` -> ``X``."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
        return {**branches[0], **rest}
    return schema


def openapi_document(routes: list[Route], *, prefix: str = "/api", version: str = "1") -> dict[str, Any]:
    """OpenAPI 3.1 from the route table and the pydantic models (components generated, not written)."""
    models: list[type[BaseModel]] = [Error]
    for r in routes:
        models.append(r.response)
        if r.body is not None:
            models.append(r.body)
    unique = list(dict.fromkeys(models))
    keys, top = models_json_schema([(m, "validation") for m in unique], ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(top.get("$defs", {}))

    def ref(m: type[BaseModel]) -> dict[str, Any]:
        return dict(keys[(m, "validation")])

    error = {"content": {"application/json": {"schema": ref(Error)}}}
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        params: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "description": desc,
             "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
            for name, desc in r.path_params.items()
        ]
        if r.query is not None:
            qs = r.query.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, prop in qs.get("properties", {}).items():
                p = _not_null({k: v for k, v in prop.items() if k not in ("title", "description")})
                params.append({"name": name, "in": "query", "required": name in qs.get("required", []),
                               "description": prop.get("description", ""), "schema": p})
        params.append({"name": "lang", "in": "query", "required": False,
                       "description": "language of messages: zh or en (else Accept-Language, else the user's)",
                       "schema": {"type": "string", "enum": ["zh", "en"]}})
        op: dict[str, Any] = {
            "operationId": r.operation_id,
            "summary": r.summary,
            "description": (r.description + "\n\n" if r.description else "") + f"Allowed roles: {_roles(r.action)}.",
            "tags": [r.tag],
            "parameters": params,
            "responses": {str(r.status): {"description": "OK", "content": {"application/json": {"schema": ref(r.response)}}},
                          **{code: {"description": text, **error} for code, text in _ERROR_STATUSES.items()}},
            "security": [{"bearer": []}],
        }
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(r.body)}}}
        paths.setdefault(prefix + r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "paichan 排产 REST API", "version": version,
                 "description": "Orders, plans, machines, changes (assess -> confirm), capable-to-promise, "
                                "progress reports and KPIs. Authenticate with `Authorization: Bearer <token>` "
                                "(issued by `paichan token issue USERNAME`). Errors are JSON with a stable `code` "
                                "and a `message` in zh or en (`?lang=` or Accept-Language)."},
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

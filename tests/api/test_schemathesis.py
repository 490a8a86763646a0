"""Schemathesis against the OpenAPI document served by a live app on 127.0.0.1 (ephemeral port):
every operation gets schema-conforming requests (positive) and schema-violating ones (negative),
as a manager and as a customer. Checks: no 5xx, and every response (2xx and 4xx alike) matches
the schema the document declares for its status; and no request the document allows is refused
as malformed (422), so the validation and the document agree. Bounded by ``max_examples`` per
operation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_url
from schemathesis.specs.openapi.checks import response_schema_conformance

from bot.settings import Settings
from bot.web.app import init_app
from tests.api.conftest import planned_shop, role_tokens, serve

EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}


@dataclass
class Live:
    base: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """The server in a thread of its own (schemathesis calls it synchronously)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def start() -> None:
        shop = await planned_shop()
        box["tokens"] = await role_tokens(shop)
        runner, base = await serve(init_app(Settings(telegram_token=None), services=shop.svc))
        box["runner"], box["base"] = runner, base

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        finally:
            ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="api-under-test", daemon=True)
    thread.start()
    assert ready.wait(60), "the server did not start"
    assert "base" in box, "the server failed to start"
    yield Live(str(box["base"]), box["tokens"])  # type: ignore[arg-type]
    asyncio.run_coroutine_threadsafe(box["runner"].cleanup(), loop).result(10)  # type: ignore[attr-defined]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("who", ["mia", "alice"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms_to_the_openapi_document(live: Live, who: str, mode: GenerationMode) -> None:
    schema = from_url(f"{live.base}/api/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 14
    session = requests.Session()
    headers = {"Authorization": f"Bearer {live.tokens[who]}"}
    seen: dict[int, int] = {}
    checks = [not_a_server_error, response_schema_conformance]

    for op in operations:
        @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode))
        def call(case):  # type: ignore[no-untyped-def]
            response = case.call(base_url=live.base, session=session, headers=headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            case.validate_response(response, checks=checks)

        call()
    print(f"schemathesis {who} {mode.value}: {sum(seen.values())} requests, statuses {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= len(operations)
    assert all(status < 500 for status in seen)
    if mode is GenerationMode.POSITIVE:
        # a request the document allows is never refused as malformed: validation == document
        assert 422 not in seen and 401 not in seen

"""Serving an aiohttp application on a free port of 127.0.0.1 (benchmarks, local fakes, tests)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["serve_locally"]


async def serve_locally(app: web.Application, host: str = "127.0.0.1") -> tuple[web.AppRunner, int]:
    """Start ``app`` on a port the system picks; returns the runner (``cleanup()`` stops it) and
    the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    return runner, int(runner.addresses[0][1])

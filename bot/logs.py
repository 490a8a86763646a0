"""One logging set-up for the long-running commands (``paichan serve``, ``paichan demo``, the
chat worker processes): time, level, logger and message on standard error; the chattiest
libraries only from WARNING on."""

from __future__ import annotations

import logging

__all__ = ["QUIET", "configure"]

QUIET = ("httpx", "httpcore", "aiohttp.access", "apscheduler", "alembic.runtime.plugins", "alembic.runtime.migration")
"""Loggers that say too much at INFO (one line per request, per job run, per migration step and
plugin; :func:`db.migrate.upgrade` says in one line what it upgraded)."""


def configure(verbose: bool = False, level: int = logging.INFO) -> None:
    """``level`` when not ``verbose`` (DEBUG): INFO for the servers, WARNING for the demo,
    whose console tells its own story (what the simulated floor does)."""
    logging.basicConfig(level=logging.DEBUG if verbose else level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)

"""The aiohttp server: the Telegram webhook, health checks, the REST API and the web app."""

from .app import BOT_APP, JOB_CONTEXTS, PROCESSOR, SERVICES, SETTINGS, init_app

__all__ = ["BOT_APP", "JOB_CONTEXTS", "PROCESSOR", "SERVICES", "SETTINGS", "init_app"]

"""Telegram: the python-telegram-bot application (no updater: updates arrive through our own
webhook route or the polling loop, both via the inbox) and the inbox processor."""

from .app import PaichanContext, build_application, set_default_commands
from .processor import UpdateProcessor, poll

__all__ = ["PaichanContext", "UpdateProcessor", "build_application", "poll", "set_default_commands"]

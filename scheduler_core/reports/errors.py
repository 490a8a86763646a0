"""The ONE mapping from a use case's error (``ServiceError.code`` + ``params``) and an import's
row error (:class:`~scheduler_core.services.importing.RowError`) to a localized sentence.

Every boundary (CLI, chat, REST) prints :func:`error_message`; an unknown code still gives a
polite sentence naming the code, never a traceback. Typed structurally, so this module needs
nothing from the use-case layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

from .i18n import N_, Tr

__all__ = ["MESSAGES", "CodedError", "RowErrorLike", "error_message", "row_error_message"]


class CodedError(Protocol):
    """``ServiceError`` and ``ChangeError``: a stable ``code`` and its ``params``."""

    @property
    def code(self) -> str: ...
    @property
    def params(self) -> Mapping[str, object]: ...


class RowErrorLike(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def params(self) -> Mapping[str, object]: ...


MESSAGES: dict[str, str] = {
    # use cases
    "order_not_found": N_("Order {ref} was not found."),
    "unknown_order": N_("Order {ref} is not an open order."),
    "quantity_not_positive": N_("The quantity must be at least 1 (got {quantity})."),
    "quantity_too_large": N_("The quantity {quantity} is more than the limit of {limit}."),
    "quantity_negative": N_("Quantities cannot be negative ({quantity})."),
    "quantity_below_done": N_("The quantity {quantity} is less than the {done} units already made."),
    "total_not_above_done": N_("{ref} step {step} has {done} units recorded already: a total of {total} adds nothing."),
    "due_in_past": N_("The promised date {due} is in the past."),
    "unknown_product": N_("Unknown product {product}."),
    "duplicate_order": N_("Order {ref} exists already."),
    "unknown_machine": N_("Unknown machine {machine}."),
    "machine_not_for_step": N_("Machine {machine} cannot do step {step}."),
    "step_already_finished": N_("Step {step} of {ref} is already finished."),
    "unknown_step": N_("Order {ref} has no step {step}."),
    "step_fixed": N_("Step {step} of {ref} is running or about to start, so it stays where it is."),
    "bad_priority": N_("The priority must be 1 to 100 (got {priority})."),
    "bad_window": N_("The end {end} must be after the start {start}."),
    "stop_not_ahead": N_("A planned stop must start later than now ({start} has passed)."),
    "stop_not_found": N_("{machine} has no planned stop that has not started yet at that time."),
    "stop_too_long": N_("A stop with an end lasts at most {days} days; for longer, leave its end open."),
    "bad_stop_length": N_("{length} is not a length of a stop in hours (more than 0, at most {limit})."),
    "already_delivered": N_("Order {ref} has already been delivered."),
    "change_gone": N_("This change was already confirmed or cancelled, or it has expired."),
    "no_plan": N_("There is no plan yet: load the factory's data first."),
    "survey_gone": N_("The survey for {ref} was already answered or is closed."),
    "bad_order_ref": N_("{ref} is not an order number (like SO-1042)."),
    "bad_score": N_("The score must be 1 to 5."),
    "busy_try_again": N_("The system is busy; please try again."),
    "empty_text": N_("The text is empty."),
    "text_too_long": N_("The text is longer than {limit} characters."),
    "link_invalid": N_("This link code is invalid, used or expired; ask for a new one."),
    "link_private_only": N_("Link your account in a private chat with the bot."),
    "unknown_user": N_("Unknown user {username}."),
    "customer_missing": N_("Choose the customer."),
    "bad_due_date": N_("{due} is not a date (like 2026-12-05)."),
    "bad_move": N_("That move is not understood: drop the step on a machine row at a time."),
    "password_too_short": N_("The password must have at least {minimum} characters."),
    "password_too_long": N_("The password is longer than {limit} characters."),
    "token_invalid": N_("The API token is missing, invalid, expired or revoked."),
    "unknown_token": N_("There is no live API token {id}."),
    "not_allowed": N_("You are not allowed to do this."),
    "not_your_customer": N_("{customer} is not one of your customers: ask their sales contact or a manager."),
    "database_not_empty": N_("The database already holds data."),
    "bad_username": N_("{username} is not a valid username: 3-32 letters, digits, '.', '_' or '-', starting with a letter."),
    "bad_role": N_("Unknown role {role} (use one of: {roles})."),
    "bad_lang": N_("Unknown language {lang} (use zh or en)."),
    "customer_required": N_("A customer user needs the customer it belongs to."),
    "customer_not_allowed": N_("Only customer users belong to a customer (this user is {role})."),
    "duplicate_user": N_("User {username} exists already."),
    "unknown_import_kind": N_("Unknown kind of import {kind}."),
    # import rows
    "empty_file": N_("The file is empty."),
    "bad_csv": N_("The file is not valid CSV ({reason})."),
    "missing_column": N_("Column {column} is missing."),
    "unknown_column": N_("Unknown column {column}."),
    "duplicate_column": N_("Column {column} appears twice."),
    "no_rows": N_("The file has a header but no rows."),
    "too_many_rows": N_("More than {limit} rows: split the file."),
    "unexpected_value": N_("A value outside the columns: {value}."),
    "missing_value": N_("A value is required."),
    "duplicate_ref_in_file": N_("Order {ref} appears twice in the file (first on line {first_line})."),
    "quantity_not_integer": N_("{value} is not a whole number."),
    "bad_date": N_("{value} is not a date (write 2026-12-05 or 2026年12月5日)."),
    "date_ambiguous": N_("{value} is ambiguous (month/day or day/month?): write 2026-12-05."),
    "due_too_far": N_("The promised date {due} is more than {years} years ahead."),
    "date_too_far": N_("{date} is more than {years} years ahead."),
    "control_character": N_("Contains a control character ({char})."),
    "bad_flag": N_("{value} is not yes or no."),
    "unknown_sales": N_("{username} is not a sales user (they are: {known})."),
    "bad_step": N_("{value} is not a step number (1-9999)."),
    "step_name_conflict": N_("Step {step} is called {name} on line {first_line}."),
    "product_name_conflict": N_("Product {product} is called {name} on line {first_line}."),
    "duplicate_row": N_("Repeats line {first_line}."),
    "bad_minutes": N_("{value} is not a number of minutes."),
    "minutes_too_large": N_("More than {limit} minutes."),
    "zero_duration": N_("Setup and per-unit minutes cannot both be 0."),
    "routing_in_use": N_("Product {product} has {orders} open orders on its {steps} steps: the number of steps cannot change."),
    "bad_machine_id": N_("{value} is not a machine id (letters, digits, - _ . / #, no spaces)."),
    "unknown_calendar": N_("Unknown calendar {calendar}: import the calendars first."),
    "bad_weekday": N_("{value} is not a weekday (1-7, Mon-Sun, 周一-周日)."),
    "bad_time": N_("{value} is not a time of day (HH:MM)."),
    "shift_overlap": N_("This shift overlaps the one on line {first_line} (weekday {weekday})."),
    "calendar_no_shifts": N_("Calendar {calendar} has no shifts."),
}

_NUMBERS = frozenset({"quantity", "limit", "done", "orders"})


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _params(tr: Tr, params: Mapping[str, object]) -> _Params:
    out = _Params()
    for key, value in params.items():
        if isinstance(value, datetime):
            out[key] = tr.datetime(value)
        elif isinstance(value, date):
            out[key] = tr.date(datetime.combine(value, datetime.min.time()))
        elif key in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = tr.number(value)
        else:
            out[key] = str(value)
    return out


def _message(tr: Tr, code: str, params: Mapping[str, object]) -> str:
    if code == "import_rejected":
        n = params.get("count", 0)
        count = n if isinstance(n, int) else 0
        return tr.ngettext("{n} problem in the file; nothing was imported.",
                           "{n} problems in the file; nothing was imported.", count)
    msgid = MESSAGES.get(code)
    if msgid is None:
        return tr.gettext("Something is wrong with the input ({code}).", code=code)
    return tr.gettext(msgid).format_map(_params(tr, params))


def error_message(tr: Tr, exc: CodedError) -> str:
    """The localized sentence for a use case's error."""
    return _message(tr, exc.code, exc.params)


def row_error_message(tr: Tr, err: RowErrorLike) -> str:
    """``line 3, column 数量: The quantity must be at least 1 (got 0).``, localized."""
    message = _message(tr, err.code, err.params)
    if err.column:
        return tr.gettext("line {line}, column {column}: {message}", line=err.line, column=err.column,
                          message=message)
    return tr.gettext("line {line}: {message}", line=err.line, message=message)

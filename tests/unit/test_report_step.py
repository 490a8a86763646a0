"""Which step a report without a step number is about: the reporter's machine, the kind of
work its words name, else the first unfinished step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from handlers.intent import parse
from scheduler_core.domain.model import Progress
from scheduler_core.services.shopfloor import default_step
from tests.builders import at, make_factory, make_order

NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "work"),
    [("SO-1330 焊完了50件", "weld"), ("1320 车完了200件", "machine"), ("SO-1042 machined 50 pcs", "machine"),
     ("welded 40 of SO-1042", "weld"), ("SO-1042 喷完了 30 件", "paint"), ("SO-1042 包装完成 30 件", "pack"),
     ("SO-1042 组装完成30件", "assemble"), ("SO-1042 完成 120 件", None), ("finished 50 of SO-1042", None)],
)
def test_a_report_names_the_kind_of_work_when_its_verb_does(text: str, work: str | None) -> None:
    got = parse(text, today=NOW.date())
    assert got.intent == "report_progress" and got.work == work


def test_the_step_is_the_reporters_machine_then_the_work_named_then_the_first_unfinished() -> None:
    # cut on CUT-1, weld on WLD-1 or WLD-2, paint on PNT-1; machine ids and groups say the kind
    routing = {"P": [[("CUT-1", 0, 1.0)], [("WLD-1", 0, 1.0), ("WLD-2", 0, 1.0)], [("PNT-1", 0, 1.0)]]}
    factory = make_factory([make_order("SO-1")], machines=("CUT-1", "WLD-1", "WLD-2", "PNT-1"), routings=routing)
    steps = factory.routings["P"]
    assert default_step(factory, "SO-1", steps) == 0  # nothing said: the first unfinished step
    assert default_step(factory, "SO-1", steps, work="paint") == 2
    assert default_step(factory, "SO-1", steps, work="weld") == 1
    assert default_step(factory, "SO-1", steps, work="inspect") == 0  # no such step: as before
    assert default_step(factory, "SO-1", steps, at_machine="WLD-2", work="paint") == 1  # the machine first
    assert default_step(factory, "SO-1", steps, at_machine="NOPE") == 0
    finished = replace(factory, progress={("SO-1", 0): Progress("SO-1", 0, 60, "CUT-1", at(), at(1)),
                                          ("SO-1", 2): Progress("SO-1", 2, 60, "PNT-1", at(), at(1))})
    assert default_step(finished, "SO-1", steps) == 1  # finished steps are skipped
    assert default_step(finished, "SO-1", steps, work="paint") == 1  # painting is done: the open one


def test_every_kind_of_work_the_chat_reads_has_words_for_the_steps() -> None:
    from handlers.intent import _WORK
    from scheduler_core.services.shopfloor import WORK_WORDS

    assert {kind for kind, _ in _WORK} == set(WORK_WORDS)

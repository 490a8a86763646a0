"""``paichan plan``: the demo factory planned end to end, printed in Chinese or English."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_parser, main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NOW = "2025-03-05T09:30+08:00"


def test_plan_demo_in_chinese_prints_the_table_and_writes_the_gantt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["plan", "--demo", "--lang", "zh", "--deadline", "1", "--now", NOW])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("生产计划：演示工厂，2025年3月5日 09:30")
    header = next(line for line in out.splitlines() if line.startswith("订单"))
    assert header.split() == ["订单", "客户", "交期", "预计完成", "延误", "VIP", "原因"]
    assert "未完成订单    120" in out
    assert "甘特图已保存到 gantt.png" in out
    png = (tmp_path / "gantt.png").read_bytes()
    assert png.startswith(PNG_MAGIC)


def test_plan_uses_the_injected_clock_and_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["plan", "--demo", "--lang", "en", "--deadline", "0.5", "--limit", "5", "--gantt", str(tmp_path / "out/g.png")]
    )
    code = args.func(args, clock=lambda: datetime(2025, 3, 5, 1, 30, tzinfo=ZoneInfo("UTC")))
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Production plan: demo factory, Mar 5, 2025, 09:30")  # factory time, UTC+8
    lines = out.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("Order")))
    assert lines[header + 7] == "… and 115 more orders"
    assert (tmp_path / "out" / "g.png").read_bytes().startswith(PNG_MAGIC)


def test_plan_without_demo_replans_the_database_and_publishes_a_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAICHAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    assert main(["demo-data", "--seed", "3", "--lang", "en", "--first-plan", "1"]) == 0
    capsys.readouterr()
    assert main(["plan", "--lang", "zh", "--deadline", "1", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "生产计划第 2 版" in out  # demo-data published version 1
    assert (tmp_path / "gantt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["plan", "--lang", "en", "--deadline", "1", "--limit", "5"]) == 0
    assert "Production plan version 3" in capsys.readouterr().out


def test_plan_rejects_an_unknown_language(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--demo", "--lang", "fr"])
    assert exc.value.code == 2
    assert "unsupported language 'fr'" in capsys.readouterr().err


def test_plan_workers_reach_the_solver_and_bad_values_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import plan as plan_cli

    seen: list[int] = []
    real = plan_cli.replan

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["settings"].workers)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_cli, "replan", spy)
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--demo", "--lang", "en", "--deadline", "1", "--workers", "2", "--now", NOW]) == 0
    assert seen == [2]
    assert "Open orders      120" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--demo", "--workers", "0"])
    assert exc.value.code == 2

from datetime import timedelta

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_run_the_embedded_demo_without_any_variable():
    s = load_settings({})
    assert s.database_url == "sqlite+aiosqlite:///paichan.db"
    assert s.timezone == "Asia/Shanghai" and s.plan_deadline == 2.0
    assert s.telegram_token is None and s.quiet_hours == ("22:00", "08:00")
    assert s.change_ttl == timedelta(minutes=10)


def test_values_are_read_and_normalised():
    s = load_settings({"PAICHAN_PLAN_DEADLINE": "5", "PAICHAN_QUIET_HOURS": "21:30-7:00",
                       "PAICHAN_TELEGRAM_BOT_NAME": "@paichan_bot", "PAICHAN_PORT": "9000"})
    assert s.plan_deadline == 5.0 and s.quiet_hours == ("21:30", "07:00")
    assert s.telegram_bot_name == "paichan_bot" and s.port == 9000


def test_secrets_are_not_printed():
    s = load_settings({"PAICHAN_TELEGRAM_TOKEN": "123:SECRET", "PAICHAN_TELEGRAM_WEBHOOK_SECRET": "hush"})
    assert "SECRET" not in repr(s) and "hush" not in repr(s)


@pytest.mark.parametrize(("name", "value"), [
    ("PAICHAN_PLAN_DEADLINE", "fast"), ("PAICHAN_PLAN_DEADLINE", "0"), ("PAICHAN_TIMEZONE", "Mars/Olympus"),
    ("PAICHAN_SUMMARY_TIME", "25:00"), ("PAICHAN_QUIET_HOURS", "late"), ("PAICHAN_PORT", "70000"),
    ("PAICHAN_SOLVER_WORKERS", "1.5"), ("PAICHAN_DEEP_PLAN_TIME", "25:00"),
])
def test_a_bad_value_names_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_the_nightly_replan_can_be_moved_lengthened_or_turned_off():
    assert (load_settings({}).deep_plan_time, load_settings({}).deep_plan_seconds) == ("02:00", 60.0)
    s = load_settings({"PAICHAN_DEEP_PLAN_TIME": "3:30", "PAICHAN_DEEP_PLAN_SECONDS": "300"})
    assert (s.deep_plan_time, s.deep_plan_seconds) == ("03:30", 300.0)
    assert load_settings({"PAICHAN_DEEP_PLAN_TIME": "off"}).deep_plan_time is None
    with pytest.raises(SettingsError, match="PAICHAN_DEEP_PLAN_SECONDS"):
        load_settings({"PAICHAN_DEEP_PLAN_SECONDS": "0"})

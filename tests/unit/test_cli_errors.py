"""Command-line mistakes are answered in the language the command was asked to speak."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.cli.options import localized_error
from scheduler_core.reports.i18n import translator

_LOCALE = ("PAICHAN_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["plan", "--lang", "zh", "--bogus"], {}, "paichan：错误：无法识别的参数：--bogus"),
    (["plan", "--deadline", "x", "--lang=zh"], {}, "paichan plan：错误：参数 --deadline：不是数字：'x'"),
    (["plan", "--deadline", "0"], {"PAICHAN_LANG": "zh"}, "paichan plan：错误：参数 --deadline：'0' 应大于 0"),
    (["plan", "--deadline", "0"], {"LANG": "zh_CN.UTF-8"}, "'0' 应大于 0"),
    (["plan", "--deadline", "0"], {"LANG": "en_US.UTF-8"}, "paichan plan: error: argument --deadline: '0' must be above 0"),
    (["plan", "--lang", "fr"], {}, "argument --lang: unsupported language 'fr' (use zh or en)"),
])
def test_command_line_errors_speak_the_users_language(argv: list[str], env: dict[str, str], expected: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for name in _LOCALE:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and expected in err, err


def test_known_messages_are_translated_and_others_kept() -> None:
    zh = translator("zh_Hans")
    assert localized_error(zh, "the following arguments are required: FILE, --format") == "缺少必需的参数：FILE, --format"
    assert localized_error(zh, "argument --rushes: '-1' must be at least 0 and at most 30") == \
        "参数 --rushes：'-1' 应至少为 0，且至多为 30"
    assert localized_error(zh, "argument kind: invalid choice: 'x' (choose from 'orders')") == \
        "参数 kind：无效的选项：'x'（可选：'orders'）"
    assert localized_error(zh, "something argparse says one day") == "something argparse says one day"
    assert localized_error(zh, "argument --x: something new") == "参数 --x：something new"
    en = translator("en")
    assert localized_error(en, "unrecognized arguments: --bogus") == "unrecognized arguments: --bogus"

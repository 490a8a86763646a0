"""Numbers in chat text: Chinese numerals (``五百``, ``两千五``, ``一万二千``), suffixed numbers
(``2k``, ``1.5万``, ``3千``, ``5百``) and grouped digits (``1,200``).

Pure and small on purpose: the chat answers in milliseconds, and ``cn2an`` (a test-time oracle
for these functions) takes ~90 ms to import.
"""

from __future__ import annotations

import re

__all__ = ["CN_NUMERAL", "EN_NUMBER", "EN_UNITS", "NUMBER", "cn_to_int", "en_number_value", "number_value",
           "spoken_digits"]

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}

#: A run of Chinese numeral characters (may be a false friend such as the 一 in 一直: callers
#: decide from context whether it is a number).
CN_NUMERAL = re.compile(r"[零〇一壹二贰两俩三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿]+")

#: An Arabic number with optional grouping, decimals and a k/千/万 multiplier.
NUMBER = re.compile(
    r"(?<!\d)(?<!\d[.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(k|K|百|千|万|w|W)(?![a-zA-Z])(\d)?)?(?![\d])"
)

EN_UNITS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_WORDS = "|".join(sorted(EN_UNITS, key=len, reverse=True))
_EN_COUNT = "|".join(sorted((w for w in EN_UNITS if w not in ("a", "an")), key=len, reverse=True))
_EN_DIGIT = "one|two|three|four|five|six|seven|eight|nine"
#: "two thousand", "five hundred", "a thousand", "twenty five hundred", and what follows the
#: multiplier: "one hundred fifty", "one hundred and twenty-five", "two thousand five hundred"
#: (lower-cased text).
EN_NUMBER = re.compile(
    rf"(?<![a-z])(?P<a>{_EN_WORDS})(?:[\s-](?P<b>{_EN_DIGIT}))?\s+(?P<m>hundred|thousand|k)(?![a-z])"
    rf"(?:\s+(?P<h>{_EN_COUNT})\s+hundred(?![a-z]))?"
    rf"(?:(?:\s+and)?\s+(?P<c>{_EN_COUNT})(?:[\s-](?P<d>{_EN_DIGIT}))?(?![a-z])(?!\s+(?:hundred|thousand)))?"
)

_MULT = {"k": 1000, "K": 1000, "百": 100, "千": 1000, "万": 10_000, "w": 10_000, "W": 10_000}


def cn_to_int(text: str) -> int | None:
    """Chinese numeral -> int: ``五百`` 500, ``两千`` 2000, ``一万二千零五`` 12005, ``十五`` 15,
    ``两千五`` 2500 (colloquial: a trailing digit counts in the next lower unit), ``一二三`` 123.

    Returns None when the text is not a well-formed numeral.
    """
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_SMALL_UNITS and ch not in _CN_BIG_UNITS
                       for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text):  # digit by digit: 一二三 -> 123
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = 0  # completed 亿/万 sections
    section = 0  # below the current big unit
    digit: int | None = None
    last_unit = 0  # the last small or big unit seen, for 两千五 = 2500
    zero_seen = False
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and _CN_DIGITS[ch] != 0 and not zero_seen:
                return None  # 五五百: malformed
            digit = _CN_DIGITS[ch]
            zero_seen = zero_seen or digit == 0
            if digit == 0:
                digit = None
        elif ch in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit, last_unit, zero_seen = None, unit, False
        else:
            unit = _CN_BIG_UNITS[ch]
            section += digit or 0
            if section == 0:
                return None
            total = (total + section) * unit if unit > 10_000 else total + section * unit
            section, digit, last_unit, zero_seen = 0, None, unit, False
    if digit is not None:
        if last_unit >= 100 and not zero_seen:
            section += digit * (last_unit // 10)  # 两千五 -> 2500, 一万五 -> 15000
        else:
            section += digit
    return total + section


def number_value(digits: str, decimals: str | None = None, mult: str | None = None,
                 tail: str | None = None) -> int | None:
    """The groups of :data:`NUMBER` -> int (``1,200`` 1200, ``2.5k`` 2500, ``1.5万`` 15000,
    ``1千2`` 1200: a digit after the multiplier counts in the next lower unit, as spoken).

    A decimal without a multiplier, or one that does not come out whole, is None.
    """
    whole = int(digits.replace(",", ""))
    factor = _MULT.get(mult or "", 1)
    if tail:
        if decimals:
            return None
        return whole * factor + int(tail) * factor // 10
    if decimals:
        if factor == 1:
            return None
        frac = decimals[1:]
        scale = int("1" + "0" * len(frac))
        value = whole * factor + int(frac) * factor // scale
        if int(frac) * factor % scale:
            return None
        return value
    return whole * factor


def en_number_value(m: re.Match[str]) -> int:
    """The value of an :data:`EN_NUMBER` match."""
    base: int = EN_UNITS[m["a"]] + (EN_UNITS[m["b"]] if m["b"] else 0)
    value = base * (100 if m["m"] == "hundred" else 1000)
    if m["h"] and m["m"] != "hundred":
        value += EN_UNITS[m["h"]] * 100
    if m["c"]:
        value += EN_UNITS[m["c"]] + (EN_UNITS[m["d"]] if m["d"] else 0)
    return value


# --- numbers as speech-to-text writes them ----------------------------------------------------------------

_SPOKEN_CN = {**{ch: str(v) for ch, v in _CN_DIGITS.items() if ch not in "两俩"}, "幺": "1"}
#: Three or more Chinese digits read one by one ("一零四二", "幺零八八"), not part of a numeral
#: with units ("一千零四十二") or an ordinal ("第一二道").
_CN_DIGIT_RUN = re.compile(r"(?<![十拾百佰千仟万萬亿第])[零〇一壹二贰三叁四肆五伍六陆七柒八捌九玖幺]{3,}"
                           r"(?![十拾百佰千仟万萬亿])")
_EN_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                   "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_EN_ANY_DIGIT = "zero|oh|o|one|two|three|four|five|six|seven|eight|nine"
#: Three or more English digits read one by one ("one zero four two"), the first no "oh".
_EN_DIGIT_RUN = re.compile(rf"(?<![a-z])(?:zero|{_EN_DIGIT})(?:[\s-]+(?:{_EN_ANY_DIGIT})(?![a-z])){{2,}}")
_EN_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_EN_PAIR = rf"(?:{_EN_TEENS}|(?:{_EN_TENS})(?:[\s-](?:{_EN_DIGIT}))?)"
#: An order number read in pairs after a word that says it is one: "order ten fifty" (1050),
#: "number eleven oh one" (1101), "order ten seventy seven" (1077), "SO twelve hundred" (1200).
_EN_PAIRED = re.compile(rf"(?<![a-z])(?P<lead>order|order number|order no\.?|number|no\.|#|so|po|ref)\s+"
                        rf"(?P<hi>{_EN_PAIR})\s+(?P<lo>(?:oh|o|zero)[\s-]+(?:{_EN_DIGIT})|{_EN_PAIR}|hundred)(?![a-z])")


def _pair_value(words: str) -> int:
    parts = re.split(r"[\s-]+", words)
    if parts[0] in ("oh", "o", "zero"):
        return int(_EN_DIGIT_WORDS[parts[1]])
    return sum(EN_UNITS[w] for w in parts)


def spoken_digits(text: str) -> str:
    """Order numbers as speech-to-text writes them, in digits (lower-cased text): "一零四二" and
    "one zero four two" -> 1042, "order ten fifty" -> "order 1050", "order eleven oh one" ->
    "order 1101". Numbers read in pairs count only after a word that makes them an order number:
    "ten fifty" alone may be a time."""
    text = _CN_DIGIT_RUN.sub(lambda m: "".join(_SPOKEN_CN[ch] for ch in m[0]), text)
    text = _EN_DIGIT_RUN.sub(lambda m: "".join(_EN_DIGIT_WORDS[w] for w in re.split(r"[\s-]+", m[0])), text)

    def paired(m: re.Match[str]) -> str:
        lo = 0 if m["lo"] == "hundred" else _pair_value(m["lo"])
        return f"{m['lead']} {_pair_value(m['hi']) * 100 + lo}"

    return _EN_PAIRED.sub(paired, text)

"""Numbers, dates and indicator values as the reports write them (Vietnamese style
for vi: 1.200, 85,7%, dd/mm/yyyy), text cleaned for a file, and names in Vietnamese
alphabetical order."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from handlers.catalog import keys, t
from handlers.question_types import format_number
from handlers.targets import Indicator, Status, Target

SIGNS = {
    Status.MET: "✅",
    Status.ON_TRACK: "🟡",
    Status.BEHIND: "🔴",
    Status.NO_DATA: "⚪",
    Status.NO_TARGET: "▫️",
}


def day_text(value: date | datetime) -> str:
    return value.strftime("%d/%m/%Y")


def local_time(moment: datetime, timezone: ZoneInfo) -> datetime:
    """A stored moment (UTC; naive on SQLite) in the report's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone)


def count_text(value: float | int | None, language: str) -> str:
    return "—" if value is None else format_number(value, language)


def percent_text(share: float | None, language: str = "vi") -> str:
    """0.857 -> '85,7%' (vi) or '85.7%' (en); 0.85 -> '85%'; None -> '—'."""
    if share is None or math.isnan(share):
        return "—"
    value = round(share * 100, 1)
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if language == "vi":
        text = text.replace(".", ",")
    return f"{text}%"


def target_text(target: Target | None, kind: str, language: str) -> str:
    """70% / 1–2 / 0, Vietnamese style for vi."""
    if target is None:
        return "—"
    if kind == "ratio":
        low = percent_text(target.value, language)
        return low if target.high is None else f"{low[:-1]}–{percent_text(target.high, language)}"
    low = count_text(target.value, language)
    return low if target.high is None else f"{low}–{count_text(target.high, language)}"


def value_text(indicator: Indicator, language: str, by_place: bool = False) -> str:
    """An indicator's result as shown in the summary and the report."""
    if indicator.kind == "ratio":
        ratio = indicator.ratio
        return t(
            language,
            "rep_value_ratio",
            numerator=count_text(ratio.numerator, language),
            denominator=count_text(ratio.denominator, language),
            percent=percent_text(ratio.value, language),
        )
    if indicator.value is None:
        return t(language, _missing_value_key(indicator, by_place))
    n = {name: count_text(v, language) for name, v in indicator.extra.items()}
    if indicator.id == "k2":
        return t(language, "rep_value_k2", applied=count_text(indicator.value, language), **n)
    if indicator.id == "k5":
        return t(language, "rep_value_k5", sites=count_text(indicator.value, language), **n)
    if indicator.id == "k7":
        return t(
            language,
            "rep_value_k7",
            events=count_text(indicator.value, language),
            products=n["products"],
        )
    return t(language, f"rep_value_{indicator.id}", count=count_text(indicator.value, language))


def _missing_value_key(indicator: Indicator, by_place: bool) -> str:
    """Why a count is missing: nothing measured yet (K4 with no shop checked), or a
    figure with no site to place it (K6, K7 under a commune filter)."""
    if indicator.status == Status.NO_DATA:
        return "rep_value_no_data"
    return "rep_value_not_by_place" if by_place else "rep_value_none"


def detail_text(indicator: Indicator, language: str) -> str:
    key = f"rep_detail_{indicator.id}"
    if key not in keys(language) or any(v is None for v in indicator.extra.values()):
        return ""
    return t(language, key, **{k: count_text(v, language) for k, v in indicator.extra.items()})


def names_text(names: list[str], shown: int, language: str) -> str:
    """'A, B, C' or, past ``shown`` names, 'A, B, C and 4 more'."""
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text = t(language, "rep_never_checked_more", names=text, more=len(names) - shown)
    return text


# What XML 1.0 (so .xlsx and .docx) cannot hold: C0 control characters other than tab,
# line feed and carriage return, lone surrogates, U+FFFE and U+FFFF. Old rows may hold
# them (a note pasted with a bell or a unit separator); openpyxl and python-docx refuse
# them and the whole year's export would fail. Word's manual line break (\x0b) and a
# form feed become a line break; the others are dropped.
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def file_text(text: str) -> str:
    """``text`` without the characters a workbook or a Word file cannot hold."""
    return _NOT_XML.sub("", text.translate(_LINE_BREAKS))


# The Vietnamese alphabet (with the Latin letters it lacks in their usual places), and
# the marks NFD splits off: those that make a letter of their own (ă â ê ô ơ ư) and
# the tones in dictionary order (ngang, huyền, hỏi, ngã, sắc, nặng).
_ALPHABET = {letter: rank for rank, letter in enumerate("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz", 1)}
_LETTER_NAME = {rank: letter for letter, rank in _ALPHABET.items()}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_key(text: str) -> tuple:
    """A sort key in Vietnamese alphabetical order: letters first (a < ă < â, d < đ,
    o < ô < ơ, u < ư), then tones, then case; spaces before letters, so "An" <
    "An Phú" < "Anh". Python's own order puts Đ, Â, Ơ after Z."""
    letters: list[tuple[int, int | str]] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in _TONES:
            tones[-1:] = [_TONES[char]] if tones else []
        elif char in _LETTER_MARKS and letters:
            base = letters[-1][1]
            composed = unicodedata.normalize("NFC", f"{_LETTER_NAME.get(base, '')}{char}")
            if composed in _ALPHABET:
                letters[-1] = (2, _ALPHABET[composed])
        elif char in _ALPHABET:
            letters.append((2, _ALPHABET[char]))
            tones.append(0)
        elif not unicodedata.combining(char):
            rank = 0 if not char.isalnum() else 1 if char.isdigit() else 3
            letters.append((rank, char))
            tones.append(0)
    return tuple(letters), tuple(tones), text

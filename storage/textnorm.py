"""Folding Vietnamese text for matching: accents optional, case ignored."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """'Co.opmart Quảng Ngãi' -> 'co opmart quang ngai'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.lower()).strip()


def clean_text(text: str) -> str:
    """Text as it may be stored on every database: line breaks as "\\n", no NUL or other
    control characters (PostgreSQL refuses NUL) except "\\n" and "\\t", no lone
    surrogates (they cannot be encoded)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )

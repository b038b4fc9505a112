"""The message catalog: every text a user reads, in Vietnamese and English.

The texts live in handlers/locales/<language>.toml; a key missing in one
language falls back to Vietnamese, and a test keeps the two files in step.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("vi", "en")


@cache
def _texts(language: str) -> dict[str, str]:
    source = resources.files("handlers") / "locales" / f"{language}.toml"
    return tomllib.loads(source.read_text(encoding="utf-8"))


def t(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language`` with ``{placeholders}`` filled in."""
    language = language if language in LANGUAGES else "vi"
    template = _texts(language).get(key) or _texts("vi")[key]
    return template.format(**values) if values else template


def keys(language: str) -> set[str]:
    return set(_texts(language))

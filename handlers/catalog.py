"""The message catalog: every text a user reads, in Vietnamese and English.

The texts live in handlers/locales/<language>.toml (and <part>_<language>.toml
files beside it, such as reports_vi.toml); a key missing in one
language falls back to Vietnamese, and a test keeps the two files in step.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("vi", "en")


@cache
def _texts(language: str) -> dict[str, str]:
    """<language>.toml plus every <part>_<language>.toml beside it (e.g. reports_vi.toml);
    a key defined in two files is an error, so parts never override each other."""
    folder = resources.files("handlers") / "locales"
    texts = tomllib.loads((folder / f"{language}.toml").read_text(encoding="utf-8"))
    parts = sorted(
        (f for f in folder.iterdir() if f.name.endswith(f"_{language}.toml")),
        key=lambda f: f.name,
    )
    for part in parts:
        more = tomllib.loads(part.read_text(encoding="utf-8"))
        clash = sorted(set(texts) & set(more))
        if clash:
            raise ValueError(f"locales/{part.name}: key(s) already defined: {', '.join(clash)}")
        texts.update(more)
    return texts


def t(language: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``language`` with ``{placeholders}`` filled in."""
    language = language if language in LANGUAGES else "vi"
    template = _texts(language).get(key) or _texts("vi")[key]
    return template.format(**values) if values else template


def keys(language: str) -> set[str]:
    return set(_texts(language))

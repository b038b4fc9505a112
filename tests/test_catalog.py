"""The message catalog keeps its promise: Vietnamese and English have the same keys,
and every text asks for the same {placeholders} in both (a text that names one the
other lacks fails with KeyError the first time an English speaker reads it)."""

from __future__ import annotations

import string
import tomllib
from importlib import resources

from handlers.catalog import LANGUAGES, _texts


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_language_has_the_same_keys():
    vi = set(_texts("vi"))
    for language in LANGUAGES:
        mine = set(_texts(language))
        assert not vi - mine, f"{language} lacks: {sorted(vi - mine)}"
        assert not mine - vi, f"{language} has keys vi lacks: {sorted(mine - vi)}"


def test_every_text_has_the_same_placeholders_in_every_language():
    vi = _texts("vi")
    differing = [
        f"{language}:{key} {sorted(placeholders(text))} vs vi {sorted(placeholders(vi[key]))}"
        for language in LANGUAGES
        for key, text in _texts(language).items()
        if key in vi and placeholders(text) != placeholders(vi[key])
    ]
    assert not differing, "\n".join(differing)


def test_each_part_file_has_its_counterpart_with_the_same_keys():
    """reports_vi.toml beside reports_en.toml: a part's keys live in one pair of files."""
    folder = resources.files("handlers") / "locales"
    names = {f.name for f in folder.iterdir() if f.name.endswith(".toml")}
    for name in sorted(n for n in names if n.endswith("vi.toml")):
        for language in LANGUAGES:
            other = name[: -len("vi.toml")] + f"{language}.toml"
            assert other in names, f"locales/{name} has no locales/{other}"
            keys_vi = set(tomllib.loads((folder / name).read_text(encoding="utf-8")))
            keys_other = set(tomllib.loads((folder / other).read_text(encoding="utf-8")))
            assert keys_vi == keys_other, f"{name} vs {other}: {sorted(keys_vi ^ keys_other)}"


def test_the_checks_notice_a_missing_placeholder():
    assert placeholders("Câu {n}/{total}") == {"n", "total"}
    assert placeholders("Question {n}") != placeholders("Câu {n}/{total}")
    assert placeholders("{{literal}} braces") == set()

"""The payloads' grammar: what each field may be, how a payload is written and how
one kind is read back (``decode`` in handlers/payloads/__init__.py tries each)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import ClassVar

from handlers.report_forms.flow import CODES as FORM_CODES

# Row ids, years: canonical digits only (int() would read "²" or "007"), and at most
# nine of them (10**20 fits no column).
_ID = re.compile(r"0|[1-9][0-9]{0,8}")
POSITIVE_ID = re.compile(r"[1-9][0-9]{0,8}")
_FIELD = {
    "checklist_id": re.compile(r"[a-z0-9_]{1,40}"),
    "question_id": re.compile(r"[a-z][a-z0-9_]{0,39}"),
    # An option id, yes/no, "today", a quick number ("25", "12.5", "-3").
    "code": re.compile(r"-?[a-z0-9][a-z0-9_.]{0,39}"),
    "department": re.compile(r"[A-Z0-9_]{1,16}"),
    # A site search as folded text (storage.textnorm.fold: [a-z0-9 ] only).
    "query": re.compile(r"[a-z0-9]([a-z0-9 ]{0,38}[a-z0-9])?"),
    # One of the department report form's own choices (handlers/report_forms/flow.py).
    "choice": re.compile("|".join(re.escape(code) for code in FORM_CODES)),
}


@dataclass(frozen=True)
class Payload:
    """``tag[:subtag]:field:field[:suffix]``; a suffix tells apart payloads with the same
    fields, a subtag the payloads of one family; ``ids``: what their ids may be."""

    tag: ClassVar[str]
    subtag: ClassVar[str | None] = None
    suffix: ClassVar[str | None] = None
    ids: ClassVar[re.Pattern[str]] = _ID

    def encode(self) -> str:
        head = [self.tag, *([self.subtag] if self.subtag else [])]
        parts = [*head, *(str(getattr(self, f.name)) for f in fields(self))]
        return ":".join(parts + ([self.suffix] if self.suffix else []))


def read(kind: type[Payload], parts: list[str]) -> Payload | None:
    """The ``kind`` that ``parts`` (the text after the tag, split) encode; None if none."""
    if kind.subtag is not None:
        if not parts or parts[0] != kind.subtag:
            return None
        parts = parts[1:]
    if kind.suffix is not None:
        if not parts or parts[-1] != kind.suffix:
            return None
        parts = parts[:-1]
    names = [f for f in fields(kind)]
    if len(parts) != len(names):
        return None
    values = {}
    for field, text in zip(names, parts, strict=True):
        pattern = kind.ids if field.type == "int" else _FIELD[field.name]
        if not pattern.fullmatch(text):
            return None
        values[field.name] = int(text) if field.type == "int" else text
    return kind(**values)

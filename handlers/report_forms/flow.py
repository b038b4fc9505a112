"""Walking a person through the department report, one question at a time (pure:
no database, no messenger). The place in the form lives in ``cursor`` and the
answers in ``answers`` (both stored on the dept_report row), so the form opens
where it stopped.

cursor: {"i": question index (== number of questions: the review),
         "f": field index inside a group entry (absent: asking "add another?"),
         "entry": the group entry being typed, "buf": a long answer's messages}
A step is either typed text or a choice code (CODES)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from handlers.report_forms.form import Form, Question

# Choice codes: finish a long answer, skip, keep the value shown, add a group entry,
# finish the group, submit the report, go through it again.
CODES = ("done", "skip", "keep", "add", "finish", "submit", "edit")
_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")
_INTEGER = re.compile(r"\s*\d{1,3}(?:[.,\s]?\d{3})*\s*|\s*\d+\s*")
MAX_TEXT = 4000
MAX_ENTRIES = 100


@dataclass(frozen=True)
class Prompt:
    """What to show: a text key with values, a lead line (an acknowledgement or an
    error) and the choices offered (codes, in order)."""

    key: str
    values: dict[str, Any]
    choices: tuple[str, ...]
    lead: str | None = None
    lead_values: dict[str, Any] = field(default_factory=dict)


def parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None


def parse_integer(text: str) -> int | None:
    """'1.200', '1,200', '1 200', '35' -> int; anything else None."""
    if not _INTEGER.fullmatch(text):
        return None
    value = int(re.sub(r"[.,\s]", "", text))
    return value if value <= 10_000_000 else None


class Walk:
    def __init__(
        self,
        form: Form,
        department: str,
        answers: dict[str, Any],
        cursor: dict[str, Any],
        known: dict[str, int] | None = None,
    ) -> None:
        self.questions = form.for_department(department)
        self.answers = dict(answers)
        self.cursor = dict(cursor) or {"i": 0}
        self.known = known or {}

    @property
    def at_review(self) -> bool:
        return self.cursor["i"] >= len(self.questions)

    @property
    def question(self) -> Question | None:
        return None if self.at_review else self.questions[self.cursor["i"]]

    def restart(self) -> None:
        self.cursor = {"i": 0}

    def _next(self) -> None:
        self.cursor = {"i": self.cursor["i"] + 1}

    def starting_value(self, question: Question) -> Any:
        """The value offered to keep: what was answered, else the bot's figure."""
        if question.id in self.answers:
            return self.answers[question.id]
        return self.known.get(question.prefill) if question.prefill else None

    # --- a step ------------------------------------------------------------------

    def step(self, text: str | None = None, code: str | None = None) -> tuple[str | None, dict]:
        """Applies typed text or a choice; returns (lead key, values): the line shown
        before the next prompt (an acknowledgement or an error), or (None, {})."""
        if self.at_review:
            if code == "edit":
                self.restart()
            return None, {}
        question = self.question
        if question.type == "group":
            return self._group_step(question, text, code)
        if code == "skip" and not question.required:
            self.answers.pop(question.id, None)
            self._next()
            return None, {}
        if code == "keep" and self.starting_value(question) not in (None, "", []):
            self.answers[question.id] = self.starting_value(question)
            self._next()
            return None, {}
        if question.type == "long_text":
            return self._long_step(question, text, code)
        if text is None:
            return "dr_use_choices", {}
        value, error = self._value(question.type, text)
        if error:
            return error, {}
        self.answers[question.id] = value
        self._next()
        return None, {}

    def _value(self, kind: str, text: str) -> tuple[Any, str | None]:
        text = text.strip()
        if kind == "integer":
            number = parse_integer(text)
            return (number, None) if number is not None else (None, "dr_bad_integer")
        if kind == "date":
            day = parse_date(text)
            return (day.isoformat(), None) if day else (None, "dr_bad_date")
        if not text:
            return None, "dr_empty"
        return text[:MAX_TEXT], None

    def _long_step(self, question: Question, text: str | None, code: str | None):
        buffer = list(self.cursor.get("buf", []))
        finishing = code == "done" or (
            text is not None and text.strip().lower() in {"xong", "done"}
        )
        if finishing:
            if not buffer:
                return "dr_long_empty", {}
            self.answers[question.id] = "\n".join(buffer)[:MAX_TEXT]
            self._next()
            return "dr_long_saved", {}
        if text is None or not text.strip():
            return "dr_use_choices", {}
        buffer.append(text.strip())
        self.cursor = {**self.cursor, "buf": buffer}
        return "dr_long_added", {"count": len(buffer)}

    def _group_step(self, question: Question, text: str | None, code: str | None):
        entries = list(self.answers.get(question.id, []))
        if "f" not in self.cursor:
            if code == "add" and len(entries) < MAX_ENTRIES:
                self.cursor = {**self.cursor, "f": 0, "entry": {}}
                return None, {}
            if code in ("finish", "keep", "skip"):
                self.answers[question.id] = entries
                self._next()
                return None, {}
            return "dr_use_choices", {}
        index = self.cursor["f"]
        subfield = question.fields[index]
        if text is None:
            return "dr_use_choices", {}
        value, error = self._value(subfield.type, text)
        if error:
            return error, {}
        entry = {**self.cursor.get("entry", {}), subfield.id: value}
        if index + 1 < len(question.fields):
            self.cursor = {**self.cursor, "f": index + 1, "entry": entry}
            return None, {}
        self.answers[question.id] = [*entries, entry]
        self.cursor = {"i": self.cursor["i"]}
        return "dr_entry_added", {"count": len(entries) + 1}

    # --- what to show ------------------------------------------------------------

    def prompt(self) -> Prompt:
        if self.at_review:
            return Prompt("dr_review", {}, ("submit", "edit"))
        question = self.question
        number = {"n": self.cursor["i"] + 1, "total": len(self.questions)}
        optional = () if question.required else ("skip",)
        if question.type == "group":
            if "f" in self.cursor:
                subfield = question.fields[self.cursor["f"]]
                return Prompt("dr_field", {"text": subfield.id}, (), None, {})
            count = len(self.answers.get(question.id, []))
            return Prompt("dr_group", {**number, "count": count}, ("add", "finish"))
        start = self.starting_value(question)
        keep = ("keep",) if start not in (None, "", []) else ()
        if question.type == "long_text":
            buffer = self.cursor.get("buf", [])
            choices = ("done",) if buffer else keep + optional
            return Prompt("dr_long", {**number, "count": len(buffer)}, choices)
        known = question.id not in self.answers and start is not None
        return Prompt(
            "dr_known" if known else "dr_short", {**number, "value": start}, keep + optional
        )

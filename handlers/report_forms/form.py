"""The department report form as data (department_report.toml): questions, which
departments each is for, the part of the compiled report it feeds, and the figure
from the checks it starts from. Checked when loaded: a typo is a start-up error."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TYPES = ("group", "text", "long_text", "integer", "date")
FIELD_TYPES = ("text", "date", "integer")
# Section II of the compiled report, in its order.
TASKS = ("awareness", "models", "retail", "ecolabel", "energy", "promotion", "monitoring", "other")
PREFILLS = (
    "sites_checked",
    "events",
    "eco_products",
    "clusters_reached",
    "facilities",
    "models_applied",
    "models_building",
)
FORM_FILE = Path(__file__).with_name("department_report.toml")


class FormError(ValueError):
    """The form file is wrong (names the question)."""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: dict[str, str]
    required: bool = True
    departments: tuple[str, ...] = ()
    task: str | None = None
    prefill: str | None = None
    unit: dict[str, str] = field(default_factory=dict)
    fields: tuple[Question, ...] = ()

    def wording(self, language: str) -> str:
        return self.text.get(language) or self.text["vi"]

    def unit_in(self, language: str) -> str:
        return self.unit.get(language) or self.unit.get("vi", "")

    def asks(self, department: str) -> bool:
        return not self.departments or department in self.departments


@dataclass(frozen=True)
class Form:
    id: str
    version: int
    title: dict[str, str]
    questions: tuple[Question, ...]

    def for_department(self, department: str) -> list[Question]:
        return [q for q in self.questions if q.asks(department)]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def title_in(self, language: str, year: int) -> str:
        return (self.title.get(language) or self.title["vi"]).format(year=year)


def _question(raw: dict, where: str, allowed: tuple[str, ...]) -> Question:
    qid = raw.get("id")
    if not isinstance(qid, str) or not qid.isidentifier():
        raise FormError(f"{where}: a question needs an id")
    kind = raw.get("type")
    if kind not in allowed:
        raise FormError(f"{where} {qid}: type must be one of {', '.join(allowed)}")
    if "vi" not in raw.get("text", {}):
        raise FormError(f"{where} {qid}: text.vi is missing")
    if raw.get("task") is not None and raw["task"] not in TASKS:
        raise FormError(f"{where} {qid}: unknown task {raw['task']!r}")
    if raw.get("prefill") is not None and raw["prefill"] not in PREFILLS:
        raise FormError(f"{where} {qid}: unknown prefill {raw['prefill']!r}")
    fields = tuple(_question(f, f"{where} {qid}", FIELD_TYPES) for f in raw.get("field", ()))
    if kind == "group" and not fields:
        raise FormError(f"{where} {qid}: a group needs fields")
    return Question(
        id=qid,
        type=kind,
        text=dict(raw["text"]),
        required=bool(raw.get("required", True)),
        departments=tuple(raw.get("departments", ())),
        task=raw.get("task"),
        prefill=raw.get("prefill"),
        unit=dict(raw.get("unit", {})),
        fields=fields,
    )


def parse_form(data: dict) -> Form:
    questions = tuple(_question(q, "question", TYPES) for q in data.get("question", ()))
    ids = [q.id for q in questions]
    if len(ids) != len(set(ids)):
        raise FormError("question ids must be unique")
    return Form(data["id"], int(data["version"]), dict(data["title"]), questions)


@cache
def load_form(path: Path = FORM_FILE) -> Form:
    with path.open("rb") as handle:
        return parse_form(tomllib.load(handle))

"""Checklist definitions: loaded from the TOML files, validated at start-up.

The format is documented in docs/checklists.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers.question_types import QUESTION_TYPES
from handlers.questions import ChecklistError, Condition, Option, Question
from storage.models import SITE_KINDS

if TYPE_CHECKING:
    from storage.models import Answer

__all__ = ["Checklist", "ChecklistError", "ChecklistRegistry", "Condition", "Option", "Question"]

# A short label fits a Telegram button ("Sửa: " + label) on a phone.
SHORT_LIMIT = 40
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# One clause of a `relevant` condition: qid == 'x', qid != 'x', qid contains 'x'.
_CLAUSE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(==|!=|contains)\s*'([^']*)'\s*$")


@dataclass(frozen=True)
class Checklist:
    id: str
    version: int
    title: dict[str, str]
    departments: tuple[str, ...]
    site_kinds: tuple[str, ...]
    questions: tuple[Question, ...]

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title["vi"]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def index_of(self, question_id: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question_id)

    @property
    def needs_site(self) -> bool:
        return bool(self.site_kinds)

    def allowed_for(self, role: str, department: str) -> bool:
        return role == "admin" or department in self.departments

    # --- relevance and order: pure, on the answers given so far ---------------------

    def relevant_questions(self, answers: Mapping[str, Answer]) -> list[Question]:
        """The questions that apply, in order. A clause holds only on the answer of an
        earlier question that itself applies (as in XLSForm, where a question that does
        not apply counts as empty): an edit that turns off a question turns off what
        hangs on it too, though its stored answer is still there until the submit."""
        shown: list[Question] = []
        for question in self.questions:
            if all(self._holds(c, answers, shown) for c in question.relevant):
                shown.append(question)
        return shown

    def _holds(self, condition, answers: Mapping[str, Answer], shown: list[Question]) -> bool:
        """An earlier question unanswered, skipped, not applying or gone from the file
        makes the clause false."""
        answer = answers.get(condition.question_id)
        earlier = next((q for q in shown if q.id == condition.question_id), None)
        if answer is None or answer.skipped or earlier is None:
            return False
        return condition.holds(QUESTION_TYPES[earlier.type].comparable(answer))

    def is_relevant(self, question: Question, answers: Mapping[str, Answer]) -> bool:
        return question in self.relevant_questions(answers)

    def next_question(self, answers: Mapping[str, Answer], after: str | None) -> Question | None:
        """The first relevant question after ``after`` (from the start for None)."""
        start = self.index_of(after) + 1 if after else 0
        relevant = self.relevant_questions(answers)
        return next((q for q in relevant if self.index_of(q.id) >= start), None)

    def first_unanswered(self, answers: Mapping[str, Answer]) -> Question | None:
        """The first relevant question without an answer (a skip is an answer)."""
        return next((q for q in self.relevant_questions(answers) if q.id not in answers), None)

    def previous_question(
        self, answers: Mapping[str, Answer], before: str | None
    ) -> Question | None:
        """The last relevant question before ``before``; for None (the review), the
        last relevant question of all."""
        relevant = self.relevant_questions(answers)
        if before is None:
            return relevant[-1] if relevant else None
        here = self.index_of(before)
        earlier = [q for q in relevant if self.index_of(q.id) < here]
        return earlier[-1] if earlier else None

    def position(self, question: Question, answers: Mapping[str, Answer]) -> tuple[int, int]:
        """(n, total) for "Câu n/total": n among the questions that apply; the total
        also counts those that may still apply (their condition hangs on a question not
        answered yet), so an answer can shorten it but never make it jump up."""
        relevant = self.relevant_questions(answers)
        number = relevant.index(question) + 1 if question in relevant else 1
        possible: list[Question] = []
        for candidate in self.questions:
            if all(self._may_hold(c, answers, possible) for c in candidate.relevant):
                possible.append(candidate)
        return number, max(number, len(possible))

    def _may_hold(self, condition, answers: Mapping[str, Answer], possible: list) -> bool:
        earlier = next((q for q in possible if q.id == condition.question_id), None)
        answer = answers.get(condition.question_id)
        if earlier is None or (answer is not None and answer.skipped):
            return False
        return answer is None or condition.holds(QUESTION_TYPES[earlier.type].comparable(answer))

    def obsolete_answers(self, answers: Mapping[str, Answer]) -> list[str]:
        """Answered questions that no longer apply (an edit changed a condition)."""
        relevant = {q.id for q in self.relevant_questions(answers)}
        return [question_id for question_id in answers if question_id not in relevant]


def _texts(raw: Any, where: str, what: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("vi"), str) or not raw["vi"].strip():
        raise ChecklistError(f"{where}: {what}.vi (Vietnamese wording) is missing")
    if not isinstance(raw.get("en"), str) or not raw["en"].strip():
        raise ChecklistError(f"{where}: {what}.en (English wording) is missing")
    return {"vi": raw["vi"], "en": raw["en"]}


def _conditions(raw: str, where: str, earlier: dict[str, Question]) -> tuple[Condition, ...]:
    conditions = []
    for clause in re.split(r"\s+and\s+", raw.strip()):
        match = _CLAUSE.match(clause)
        if not match:
            raise ChecklistError(
                f"{where}: relevant clause {clause!r} is not of the form "
                "qid == 'value', qid != 'value' or qid contains 'value'"
            )
        question_id, operator, value = match.groups()
        if question_id not in earlier:
            raise ChecklistError(
                f"{where}: relevant names {question_id!r}, which is not an earlier question"
            )
        conditions.append(Condition(question_id, operator, value))
    return tuple(conditions)


def _question(raw: dict, where: str, earlier: dict[str, Question]) -> Question:
    question_id = raw.get("id")
    if not isinstance(question_id, str) or not _ID.match(question_id):
        raise ChecklistError(f"{where}: id {question_id!r} must be lower-case letters, digits, _")
    where = f"{where} ({question_id})"
    if question_id in earlier:
        raise ChecklistError(f"{where}: the id is used twice")
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        known = ", ".join(QUESTION_TYPES)
        raise ChecklistError(f"{where}: unknown type {kind!r} (known: {known})")
    known_keys = {
        "id",
        "type",
        "text",
        "required",
        "relevant",
        "choices",
        "constraint",
        "constraint_message",
        "quick",
        "short",
    }
    unknown = set(raw) - known_keys
    if unknown:
        raise ChecklistError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    options = []
    for choice in raw.get("choices", []):
        if not isinstance(choice, dict) or not _ID.match(str(choice.get("id", ""))):
            raise ChecklistError(f"{where}: every choice needs an id of lower-case letters")
        options.append(Option(choice["id"], _texts(choice, where, f"choice {choice['id']}")))
    constraint_message = {}
    if "constraint_message" in raw:
        constraint_message = _texts(raw["constraint_message"], where, "constraint_message")
    short = _texts(raw["short"], where, "short") if "short" in raw else {}
    if any(len(label) > SHORT_LIMIT for label in short.values()):
        raise ChecklistError(f"{where}: short labels have at most {SHORT_LIMIT} characters")
    question = Question(
        id=question_id,
        type=kind,
        text=_texts(raw.get("text"), where, "text"),
        required=bool(raw.get("required", True)),
        relevant=_conditions(raw["relevant"], where, earlier) if raw.get("relevant") else (),
        options=tuple(options),
        constraint=dict(raw.get("constraint", {})),
        constraint_message=constraint_message,
        quick=tuple(raw.get("quick", ())),
        short=short,
    )
    try:
        QUESTION_TYPES[kind].validate_definition(question)
    except ChecklistError as error:
        raise ChecklistError(f"{where}: {error}") from None
    return question


def parse_checklist(text: str, source: str) -> Checklist:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ChecklistError(f"{source}: not valid TOML ({error})") from None
    checklist_id = raw.get("id")
    if not isinstance(checklist_id, str) or not _ID.match(checklist_id):
        raise ChecklistError(f"{source}: id {checklist_id!r} is missing or not lower-case")
    if not isinstance(raw.get("version"), int) or raw["version"] < 1:
        raise ChecklistError(f"{source}: version must be a whole number from 1")
    kinds = tuple(raw.get("site_kinds", ()))
    for kind in kinds:
        if kind not in SITE_KINDS:
            raise ChecklistError(f"{source}: unknown site kind {kind!r}")
    departments = tuple(raw.get("departments", ()))
    if not departments:
        raise ChecklistError(f"{source}: departments must list who may fill it")
    questions: dict[str, Question] = {}
    for number, item in enumerate(raw.get("question", []), start=1):
        question = _question(item, f"{source} question {number}", questions)
        questions[question.id] = question
    if not questions:
        raise ChecklistError(f"{source}: has no [[question]]")
    return Checklist(
        id=checklist_id,
        version=raw["version"],
        title=_texts(raw.get("title"), source, "title"),
        departments=departments,
        site_kinds=kinds,
        questions=tuple(questions.values()),
    )


class ChecklistRegistry:
    """Every checklist by id, in a stable order for menus."""

    def __init__(self, checklists: list[Checklist]) -> None:
        self.by_id: dict[str, Checklist] = {}
        for checklist in checklists:
            if checklist.id in self.by_id:
                raise ChecklistError(f"two checklist files use the id {checklist.id!r}")
            self.by_id[checklist.id] = checklist

    def get(self, checklist_id: str) -> Checklist | None:
        return self.by_id.get(checklist_id)

    def for_person(self, role: str, department: str) -> list[Checklist]:
        return [c for c in self.by_id.values() if c.allowed_for(role, department)]

    @classmethod
    def load(cls, folder: Path | None = None) -> ChecklistRegistry:
        if folder is not None:
            files = sorted(folder.glob("*.toml"))
            sources = [(str(f), f.read_text(encoding="utf-8")) for f in files]
        else:
            package = resources.files("handlers") / "checklists"
            files = sorted(
                (f for f in package.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name
            )
            sources = [(f"checklists/{f.name}", f.read_text(encoding="utf-8")) for f in files]
        order = [
            "supermarket",
            "cluster_awareness",
            "cleaner_production",
            "energy_efficiency",
            "trade_promotion",
        ]
        checklists = [parse_checklist(text, source) for source, text in sources]
        checklists.sort(key=lambda c: (order.index(c.id) if c.id in order else len(order), c.id))
        return cls(checklists)

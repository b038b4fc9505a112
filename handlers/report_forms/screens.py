"""What the department report shows in the chat: a flow Prompt as a Reply with its
choices, the review summary, and the payloads of its choices (``dr:...``: written
and read in handlers/payloads/; anything else is not ours)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from handlers import payloads
from handlers.catalog import t
from handlers.messages import Choice, Reply
from handlers.report_forms.flow import Prompt, Walk

# c a form choice; op open the form (a year); dg name who fills it (a person); rt send
# a report back; fl the department's DOCX (a report).
_BY_SUBTAG = {kind.subtag: kind for kind in payloads.DEPT_REPORT_KINDS}


def payload(kind: str, value: object) -> str:
    """The payload of the ``kind`` (c, op, dg, rt, fl) for ``value``."""
    return _BY_SUBTAG[kind](value).encode()


def read_payload(data: str | None) -> tuple[str, str | int] | None:
    """(kind, value) of a department report payload; None for anything else."""
    read = payloads.decode(data)
    if not isinstance(read, payloads.DeptReportPayload):
        return None
    return read.subtag, getattr(read, fields(read)[0].name)


def shown_value(value: Any, language: str) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    text = str(value)
    return text if len(text) <= 300 else text[:297] + "…"


def entry_line(entry: dict) -> str:
    day = shown_value(entry.get("date", ""), "vi")
    return f"{entry.get('number', '')} ({day}): {entry.get('title', '')}"


def prompt_reply(walk: Walk, prompt: Prompt, language: str, head: dict[str, Any]) -> Reply:
    """The Reply for ``prompt``; ``head``: year and department for the review."""
    choices = [
        Choice(t(language, f"dr_choice_{code}"), payload("c", code)) for code in prompt.choices
    ]
    if prompt.key == "dr_review":
        return Reply(t(language, "dr_review", summary=review_text(walk, language), **head), choices)
    question = walk.question
    values = dict(prompt.values)
    if prompt.key == "dr_field":
        subfield = question.fields[walk.cursor["f"]]
        return Reply(subfield.wording(language), choices)
    values["question"] = question.wording(language)
    if "value" in values and values["value"] is not None:
        values["value"] = shown_value(values["value"], language)
    lines = [t(language, prompt.key, **values)]
    if prompt.key == "dr_group":
        lines += [
            t(language, "dr_group_entry", line=entry_line(e))
            for e in walk.answers.get(question.id, [])
        ]
    elif "keep" in prompt.choices and prompt.key != "dr_known":
        current = walk.starting_value(question)
        lines.append(t(language, "dr_current", value=shown_value(current, language)))
    return Reply("\n".join(lines), choices, expects_number=question.type == "integer")


def review_text(walk: Walk, language: str) -> str:
    lines = []
    for question in walk.questions:
        value = walk.answers.get(question.id)
        if question.type == "group":
            entries = value or []
            shown = "; ".join(entry_line(e) for e in entries) or t(language, "dr_review_none")
        else:
            shown = (
                t(language, "dr_review_none")
                if value in (None, "")
                else shown_value(value, language)
            )
        lines.append(
            t(language, "dr_review_line", question=question.wording(language), value=shown)
        )
    return "\n".join(lines)

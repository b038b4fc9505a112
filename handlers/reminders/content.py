"""What reminders say: the head's reminder with the department's progress, and the
coordinating office's escalations and notes, each in the reader's language and
worded for the channel it travels on (buttons on Telegram; typed on Zalo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.catalog import t
from handlers.messages import Choice, Reply
from handlers.payloads import ConfirmReport, OpenForm
from storage.models import Deadline, Department

# Checklists that record models built (TTKC's cleaner-production models), not sites
# checked: their progress is a count of models.
MODEL_CHECKLISTS = frozenset({"cleaner_production"})


@dataclass(frozen=True)
class Message:
    """A message as each kind of channel shows it: where choices are buttons, and
    where they are a numbered list (there the text must not say "press")."""

    with_buttons: list[Reply]
    without_buttons: list[Reply]

    def shown(self, buttons: bool) -> list[Reply]:
        """The replies for a channel that does (or does not) show buttons: the sender
        passes its channel's capability (bot/notify.py)."""
        return self.with_buttons if buttons else self.without_buttons


@dataclass(frozen=True)
class ProgressRow:
    checklist: object  # handlers.checklist.Checklist
    done: int
    total: int


def plain(text: str) -> Message:
    """A message without choices: the same on every channel."""
    return Message([Reply(text)], [Reply(text)])


def department_name(department: Department, language: str) -> str:
    return department.name_en if language == "en" else department.name_vi


def title(deadline: Deadline, language: str) -> str:
    return deadline.title_en if language == "en" else deadline.title_vi


def reminder(
    language: str,
    deadline: Deadline,
    due: date,
    today: date,
    year: int,
    department: Department,
    progress: str,
) -> Message:
    """The head's reminder: the deadline, the days left (counted from today, not from
    the slot: a caught-up reminder tells the truth), the progress, how to confirm."""
    days_left = (due - today).days
    key = (
        "reminder_before"
        if days_left > 0
        else "reminder_today"
        if days_left == 0
        else "reminder_overdue"
    )
    head = t(
        language,
        key,
        title=title(deadline, language),
        due=due.strftime("%d/%m/%Y"),
        days=abs(days_left),
    )
    lines = [head, progress] if progress else [head]  # no checklist: no empty line
    payload = ConfirmReport(deadline_id=deadline.id, year=year, department=department.code)
    choices = [Choice(t(language, "button_report_done"), payload.encode())]
    if deadline.yearly_month is not None:
        # The annual report can be written in the bot (handlers/report_forms): "Lập
        # báo cáo" opens the form where it stopped; submitting it confirms the report.
        # Second, so a typed "1" still means "Đã nộp báo cáo" as before.
        choices.append(Choice(t(language, "button_report_form"), OpenForm(year).encode()))
        lines.append(t(language, "dr_reminder_hint"))

    def reply(how: str) -> Reply:
        return Reply("\n".join([*lines, t(language, how)]), choices)

    return Message([reply("reminder_confirm_buttons")], [reply("reminder_confirm_typed")])


def progress_text(language: str, department: Department, year: int, rows: list[ProgressRow]) -> str:
    """One labelled block: whose progress and which year, then each figure once."""
    lines = [_progress_line(language, row) for row in rows]
    lines = list(dict.fromkeys(lines))  # several checklists may count the same thing
    if not lines:
        return ""
    heading = t(
        language,
        "progress_heading",
        department=department_name(department, language),
        year=year,
    )
    return "\n".join([heading, *lines])


def _progress_line(language: str, row: ProgressRow) -> str:
    checklist = row.checklist
    if checklist.id in MODEL_CHECKLISTS:
        return t(language, "progress_models", count=row.done)
    if checklist.site_kinds:
        what = ", ".join(t(language, f"kind_{kind}") for kind in checklist.site_kinds)
        return t(language, "progress_sites", done=row.done, total=row.total, what=what)
    return t(language, "progress_count", count=row.done, what=checklist.title_in(language))


def coordinator_text(
    language: str,
    kind: str,
    deadline: Deadline,
    due: date,
    today: date,
    waiting: list[Department],
    cannot_reach: list[tuple[Department, str]],
    headless: list[Department],
) -> str:
    """The coordinating office's message: which departments have not confirmed (by
    name, never itself) and whom someone must phone."""
    key = {
        "escalation": "reminder_escalation",
        "final_escalation": "reminder_escalation_final",
    }.get(kind, "reminder_unreachable_note")
    lines = [
        t(
            language,
            key,
            title=title(deadline, language),
            due=due.strftime("%d/%m/%Y"),
            days=(today - due).days,
            departments=", ".join(department_name(d, language) for d in waiting),
        )
    ]
    people = [
        t(
            language,
            "reminder_unreachable_person",
            name=name,
            department=department_name(department, language),
        )
        for department, name in cannot_reach
    ] + [
        t(language, "reminder_no_head", department=department_name(department, language))
        for department in headless
    ]
    if people:
        lines.append(t(language, "reminder_unreachable_list", people="; ".join(people)))
    return "\n".join(lines)

"""KTATMT's side of the department reports (see department_report): the year's
list with each report's state, its DOCX, and sending a report back with a comment
(the head and the named person are told, and the reminders start again until it
is submitted again). Functions of the turn, so department_report stays small."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.catalog import t
from handlers.messages import Choice, Reply
from handlers.report_forms import screens
from storage import dept_reports
from storage.models import DEPARTMENTS, Department, DeptReport, Person

if TYPE_CHECKING:
    from handlers.conversation.department_report import DepartmentReports

COMMENT_SCREEN = "dr:comment"  # as department_report.COMMENT_SCREEN (no import cycle)


async def report_list(turn: DepartmentReports, year: int) -> list[Reply]:
    rows = {r.department_code: r for r in await dept_reports.year_reports(turn.session, year)}
    lines, choices = [], []
    for code, _vi, _en in DEPARTMENTS:
        name = await turn._dr_department_name(code)
        report = rows.get(code)
        state = turn.t("dr_state_none")
        if report is not None and report.status == "submitted":
            day = turn._local(report.submitted_at).strftime("%d/%m/%Y")
            state = turn.t("dr_state_submitted", date=day)
            choices += [
                Choice(turn.t("dr_choice_file", department=name), screens.payload("fl", report.id)),
                Choice(
                    turn.t("dr_choice_return", department=name), screens.payload("rt", report.id)
                ),
            ]
        elif report is not None:
            state = turn.t(f"dr_state_{report.status}")
        lines.append(turn.t("dr_list_line", department=name, state=state))
    choices.append(Choice(turn.t("dr_choice_own"), screens.payload("op", year)))
    return [Reply(turn.t("dr_list", year=year, lines="\n".join(lines)), choices)]


async def _submitted(turn: DepartmentReports, report_id: int) -> DeptReport | None:
    report = await turn.session.get(DeptReport, report_id)
    return report if report is not None and report.status == "submitted" else None


async def ask_comment(turn: DepartmentReports, report_id: int) -> list[Reply]:
    if turn.person.role != "admin":
        return [Reply(turn.t("dr_not_coordinator"))]
    report = await _submitted(turn, report_id)
    if report is None:
        return [Reply(turn.t("dr_return_not_submitted"))]
    await turn._dr_pause()
    dept_reports.keep(report, report.answers, {**report.cursor, "return_by": turn.person.id})
    turn.session.add(report)
    name = await turn._dr_department_name(report.department_code)
    reply = Reply(turn.t("dr_return_ask", department=name))
    turn._asking[id(reply)] = COMMENT_SCREEN  # the next text is the comment
    return [reply]


async def send_back(turn: DepartmentReports, report: DeptReport, comment: str) -> list[Reply]:
    name = await turn._dr_department_name(report.department_code)
    if not comment:
        reply = Reply(turn.t("dr_return_ask", department=name))
        turn._asking[id(reply)] = COMMENT_SCREEN
        return [reply]
    await dept_reports.send_back(turn.session, report, turn.person.id, comment)
    department = await turn.session.get(Department, report.department_code)
    for person in await _fillers(turn, report):
        told = t(
            person.language,
            "dr_return_told",
            year=report.year,
            department=department.name_en if person.language == "en" else department.name_vi,
            comment=comment,
        )
        open_it = Choice(
            t(person.language, "button_report_form"), screens.payload("op", report.year)
        )
        await turn._dr_tell(person, Reply(told, [open_it]))
    return [Reply(turn.t("dr_return_done", department=name))]


async def _fillers(turn: DepartmentReports, report: DeptReport) -> list[Person]:
    """The department's active heads and the person named to fill the report in."""
    from sqlmodel import select

    statement = select(Person).where(
        Person.department_code == report.department_code,
        Person.role == "head",
        Person.active,
    )
    found = list((await turn.session.exec(statement)).all())
    if report.delegate_id and all(p.id != report.delegate_id for p in found):
        delegate = await turn.session.get(Person, report.delegate_id)
        if delegate is not None and delegate.active:
            found.append(delegate)
    return found


async def report_file(turn: DepartmentReports, report_id: int) -> list[Reply]:
    from handlers.reports.commands import fresh_path
    from handlers.reports.department_docx import department_docx

    report = await turn.session.get(DeptReport, report_id)
    if turn.person.role != "admin" or report is None or report.status != "submitted":
        return [Reply(turn.t("stale_button"))]
    filed = next(
        f
        for f in await dept_reports.filed_reports(turn.session, report.year)
        if f.department_code == report.department_code
    )
    file_name = f"Bao-cao-{report.department_code}-{report.year}.docx"
    path = fresh_path(turn.engine.report_settings.out_dir, file_name)
    await department_docx(filed, path, turn.lang, turn.engine.now_local().date())
    name = filed.name(turn.lang)
    caption = turn.t("dr_file_caption", year=report.year, department=name)
    return [Reply(caption, file=path, file_name=file_name)]

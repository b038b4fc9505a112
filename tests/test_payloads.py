"""Button payloads: what the engine writes it reads back the same; anything else —
forged, truncated, stretched — reads as None (a stale button), never as an order."""

from __future__ import annotations

import pytest

from handlers import payloads as p
from handlers.checklist import ChecklistRegistry
from handlers.question_types import QUESTION_TYPES

EXAMPLES = [
    (p.OpenChecklist("supermarket"), "cl:supermarket"),
    (p.ConfirmReport(5, 2026, "QLTM"), "rc:5:2026:QLTM"),
    (p.ResumeRun(12), "r:12:c"),
    (p.DiscardRun(12), "r:12:d"),
    (p.ConfirmCancel(12), "k:12:y"),
    (p.KeepRun(12), "k:12:n"),
    (p.Back(12), "b:12"),
    (p.PickSite(12, 340), "s:12:340"),
    (p.UpdateCheck(12), "u:12:u"),
    (p.NewCheck(12), "u:12:n"),
    (p.Edit(12, "bag_types"), "e:12:bag_types"),
    (p.Submit(12), "x:12"),
    (p.Skip(12, "note"), "a:12:note:_skip"),
    (p.Pick(12, "share", "12.5"), "a:12:share:12.5"),
    (p.Done(12, "bag_types"), "m:12:bag_types:_done"),
    (p.Toggle(12, "bag_types", "paper"), "m:12:bag_types:paper"),
    # Fewer steps (issue 12): recent site, search pages, missing site, reuse.
    (p.StartAt("supermarket", 340), "sa:supermarket:340"),
    (p.SitePage(12, 2, "co op quang ngai"), "sp:12:2:co op quang ngai"),
    (p.NotThisSite(12), "sn:12:n"),
    (p.ProposeSite(12), "sn:12:p"),
    (p.ReuseAnswers(12, 7), "ru:12:7"),
    # Review (issue 13): a submitted check and the review step its card showed.
    (p.ReviewOpen(7), "ro:7"),
    (p.ReviewApprove(7, 0), "rv:7:0:a"),
    (p.ReviewSendBack(7, 0), "rv:7:0:c"),
    (p.ReviewSkip(7, 2), "rv:7:2:s"),
    (p.ReviewReject(7, 2), "rv:7:2:r"),
    (p.ReviewCancel(7, 0), "rv:7:0:x"),
    (p.ReviewFlagsDone(7, 0), "rq:7:0:_done"),
    (p.ReviewFlag(7, 0, "eco_bag_share"), "rq:7:0:eco_bag_share"),
    (p.StartCorrection(7, 1), "fx:7:1"),
    # The department's yearly report (issue 14): a form choice, open, name, send back, DOCX.
    (p.FormChoice("done"), "dr:c:done"),
    (p.OpenForm(2026), "dr:op:2026"),
    (p.NameFiller(42), "dr:dg:42"),
    (p.SendBackReport(3), "dr:rt:3"),
    (p.ReportFile(3), "dr:fl:3"),
]


def test_every_kind_has_an_example():
    assert {type(payload) for payload, _ in EXAMPLES} == set(p.KINDS)


@pytest.mark.parametrize(("payload", "data"), EXAMPLES)
def test_the_wire_format_is_kept_and_reads_back(payload, data):
    # The format is stored (offered screens, the outbox) and sits on buttons already
    # sent: it must not change.
    assert payload.encode() == data
    assert p.decode(data) == payload


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x",
        "a",
        "r",
        "m::",
        "zz:1",
        "x:01",  # a leading zero: never written
        "x:1234567890",  # ten digits: fits no column on PostgreSQL
        "x:²",
        "x:-1",
        "x:1:2",
        "b:",
        "a:1:q",
        "a:1:q:yes:more",
        "a:1:Q:yes",
        "a:1:q:_other",
        "m:1:q:",
        "rc:5:2026:qltm",
        "rc:5:2026",
        "s:1:abc",
        "cl:" + "a" * 41,
        "a:1:q:" + "9" * 70,
        "r:1:x",
        "k:1:c",
        "u:1:y",
        "e:1:1abc",
        "x:1\n",
        "dr:c:drop",  # not one of the form's choices
        "dr:c:",
        "dr:op:02026",
        "dr:op:0",  # no report, person or year is 0
        "dr:rt:",
        "dr:xx:1",
        "dr:op:2026:1",
        "dr:text",  # the conversation's own marker for typed text, never a button
        "dr:1",
        "dr:dg:done",
    ],
)
def test_forged_or_malformed_data_reads_as_none(data):
    assert p.decode(data) is None


def test_every_choice_of_the_report_form_reads_back():
    """A form choice the grammar refused would turn a real button stale; and none of the
    report's payloads is an answer to a checklist question."""
    from handlers.report_forms.flow import CODES

    for code in CODES:
        assert p.decode(p.FormChoice(code).encode()) == p.FormChoice(code)
    ours = [data for payload, data in EXAMPLES if isinstance(payload, p.DeptReportPayload)]
    assert len(ours) == len(p.DEPT_REPORT_KINDS)
    for data in ours:
        assert data.startswith("dr:") and not p.answers_the_question(p.decode(data))


def test_only_options_of_the_question_answer_it():
    assert p.answers_the_question(p.decode("a:3:q:yes"))
    assert p.answers_the_question(p.decode("m:3:q:paper"))
    for data in ("a:3:q:_skip", "m:3:q:_done", "b:3", "x:3", "junk"):
        assert not p.answers_the_question(p.decode(data))


def test_every_button_of_the_shipped_checklists_reads_back():
    """A code the payload grammar refused would turn a real button stale."""
    for checklist in ChecklistRegistry.load().by_id.values():
        assert p.decode(p.OpenChecklist(checklist.id).encode()) is not None
        for question in checklist.questions:
            kind = QUESTION_TYPES[question.type]
            make = p.Toggle if kind.toggles else p.Pick
            for language in ("vi", "en"):
                for code, _label in kind.options(question, language):
                    payload = make(999_999_999, question.id, code)
                    assert p.decode(payload.encode()) == payload, (checklist.id, question.id)
                    assert len(payload.encode().encode()) <= 64  # Telegram's limit

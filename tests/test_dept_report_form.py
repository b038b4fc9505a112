"""The department report form as data and its walk, without a messenger: the
shipped file loads and asks every department what the plan gives it, a wrong file
is refused naming the question, typed values are read strictly, and the texts
never tell anyone to press (Zalo and the terminal have no buttons)."""

from __future__ import annotations

import tomllib

import pytest

from handlers.catalog import keys, t
from handlers.report_forms import screens
from handlers.report_forms.flow import Walk, parse_date, parse_integer
from handlers.report_forms.form import FORM_FILE, FormError, load_form, parse_form

DEPARTMENTS = ("KTATMT", "QLTM", "QLCN", "QLNL", "TTKC", "KHAC")


def test_every_department_reports_documents_its_tasks_difficulties_and_recommendations():
    form = load_form()
    for code in DEPARTMENTS:
        ids = [q.id for q in form.for_department(code)]
        assert ids[0] == "documents" and ids[-2:] == ["difficulties", "recommendations"]
        assert "budget" in ids
        tasks = {q.task for q in form.for_department(code) if q.task}
        assert tasks, code
    assert {q.task for q in form.for_department("TTKC")} >= {"models", "promotion"}
    assert form.question("budget").required is False


def test_a_wrong_form_file_is_refused_naming_the_question():
    data = tomllib.loads(FORM_FILE.read_text(encoding="utf-8"))
    data["question"][1]["task"] = "marketing"
    with pytest.raises(FormError, match="campaigns_text: unknown task"):
        parse_form(data)
    data = tomllib.loads(FORM_FILE.read_text(encoding="utf-8"))
    data["question"].append(dict(data["question"][-1]))
    with pytest.raises(FormError, match="unique"):
        parse_form(data)


def test_typed_numbers_and_dates_are_read_strictly():
    assert parse_integer("1.200") == 1200 and parse_integer("1,200") == 1200
    assert parse_integer("35") == 35 and parse_integer(" 7 ") == 7
    for bad in ("12a", "-3", "1.2", "²", "", "99999999999"):
        assert parse_integer(bad) is None, bad
    assert parse_date("15/03/2026").isoformat() == "2026-03-15"
    for bad in ("31/02/2026", "2026-03-15", "15/3", "hôm qua"):
        assert parse_date(bad) is None, bad


def test_a_long_answer_joins_messages_until_done_and_skips_only_where_optional():
    walk = Walk(load_form(), "QLNL", {}, {})
    assert walk.step(text="hello") == ("dr_use_choices", {})  # a group: add or finish
    walk.step(code="add")
    walk.step(text="12/KH-SCT")
    assert walk.step(text="31/02/2026") == ("dr_bad_date", {})
    walk.step(text="01/03/2026")
    assert walk.step(text="Kế hoạch") == ("dr_entry_added", {"count": 1})
    walk.step(code="finish")
    assert walk.answers["documents"] == [
        {"number": "12/KH-SCT", "date": "2026-03-01", "title": "Kế hoạch"}
    ]
    assert walk.question.id == "energy_text"
    assert walk.step(code="done") == ("dr_long_empty", {})
    assert walk.step(code="skip") == ("dr_use_choices", {})  # required: not skipped
    assert walk.question.id == "energy_text"
    walk.step(text="Phổ biến tại 3 nhà máy.")
    assert walk.step(text="Và 2 làng nghề.") == ("dr_long_added", {"count": 2})
    assert walk.step(text="xong") == ("dr_long_saved", {})
    assert walk.answers["energy_text"] == "Phổ biến tại 3 nhà máy.\nVà 2 làng nghề."
    assert walk.step(text="nhiều") == ("dr_bad_integer", {})
    walk.step(text="40")
    assert walk.question.id == "budget" and walk.step(code="skip") == (None, {})


def test_the_checks_figure_is_offered_and_kept_or_corrected():
    walk = Walk(load_form(), "QLNL", {}, {"i": 2}, known={"facilities": 27})
    prompt = walk.prompt()
    assert prompt.key == "dr_known" and prompt.values["value"] == 27 and "keep" in prompt.choices
    walk.step(code="keep")
    assert walk.answers["facilities"] == 27
    walk = Walk(load_form(), "QLNL", {}, {"i": 2}, known={"facilities": 27})
    walk.step(text="30")
    assert walk.answers["facilities"] == 30


def test_payloads_are_read_strictly():
    assert screens.read_payload("dr:c:done") == ("c", "done")
    assert screens.read_payload("dr:op:2026") == ("op", 2026)
    for forged in ("dr:c:drop", "dr:op:02026", "dr:rt:", "dr:xx:1", "dr:op:2026:1", None):
        assert screens.read_payload(forged) is None, forged


def test_texts_are_in_step_and_never_say_press():
    vi = {k for k in keys("vi") if k.startswith("dr_") or k == "button_report_form"}
    en = {k for k in keys("en") if k.startswith("dr_") or k == "button_report_form"}
    assert vi == en and len(vi) > 50
    for key in vi:
        assert "bấm" not in t("vi", key).lower(), key
        assert "press" not in t("en", key).lower(), key

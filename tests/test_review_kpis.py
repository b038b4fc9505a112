"""The indicators follow the review: a rejected check counts nowhere, with
[review] indicators = "approved" only approved checks count, and a correction's
latest answers are what the indicators read. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from storage import corrections, people, review, runs, sites
from storage.kpis import compute_kpis
from storage.models import Answer, ChecklistRun, Site, utcnow

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = datetime.now(TZ).year


async def _seed(session):
    rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
    assert not errors
    await sites.import_sites(session, rows)
    inspector = await people.add_person(
        session, name="Lê Thị Kiểm", role="inspector", department_code="QLTM"
    )
    head = await people.add_person(
        session, name="Võ Trưởng Phòng", role="head", department_code="QLTM"
    )
    await session.flush()
    site = (
        await session.exec(
            select(Site).where(Site.kind == "supermarket", Site.status == "operating")
        )
    ).first()
    check = ChecklistRun(
        person_id=inspector.id,
        site_id=site.id,
        checklist_id="supermarket",
        checklist_version=1,
        status="submitted",
        phase="review",
        submitted_at=utcnow(),
    )
    session.add(check)
    await session.flush()
    for question_id, value in [("packaging_replaced", "partial"), ("nonbio_bags", "yes")]:
        session.add(Answer(run_id=check.id, question_id=question_id, value_text=value))
    await session.commit()
    return inspector, head, check


async def _k3_k4(session, rule: str) -> tuple[int, int, int]:
    kpis = await compute_kpis(session, YEAR, timezone=TZ, review_rule=rule, concurrent=False)
    return kpis.k3.numerator, kpis.k4_nonbio_bags, kpis.checks


async def test_a_correction_and_an_approval_move_the_indicators(db):
    async with db.session() as session:
        inspector, head, check = await _seed(session)
        assert await _k3_k4(session, "all") == (0, 1, 1)
        assert await _k3_k4(session, "approved") == (0, 0, 0)
        asked = await review.record(
            session, check.id, 0, "needs_correction", head.id, question_ids=["packaging_replaced"]
        )
        draft = await corrections.start_correction(
            session, check, asked.seq, "packaging_replaced", "zalo"
        )
        fixed = await runs.answers_of(session, draft.id)
        fixed["packaging_replaced"].value_text = "full"
        corrected = await review.record(session, check.id, 1, "corrected", inspector.id)
        await corrections.change_answers(
            session,
            check.id,
            fixed,
            changed_by_id=inspector.id,
            reason="",
            review_event_id=corrected.id,
        )
        await session.commit()
        # The latest answers count at once under "all"; "approved" waits for the head.
        assert await _k3_k4(session, "all") == (1, 1, 1)
        assert await _k3_k4(session, "approved") == (0, 0, 0)
        await review.record(session, check.id, 2, "approved", head.id)
        await session.commit()
        assert await _k3_k4(session, "approved") == (1, 1, 1)


async def test_a_rejected_check_counts_nowhere(db):
    async with db.session() as session:
        _inspector, head, check = await _seed(session)
        await review.record(session, check.id, 0, "rejected", head.id, comment="Sai cơ sở")
        await session.commit()
        assert await _k3_k4(session, "all") == (0, 0, 0)
        kpis = await compute_kpis(session, YEAR, timezone=TZ, concurrent=False)
        assert kpis.coverage.numerator == 0  # the site is not "checked" by a rejected check


async def test_the_export_carries_the_review_state_the_history_and_the_rule(db, tmp_path):
    import openpyxl

    from handlers.reports import ReportSettings, export_xlsx

    async with db.session() as session:
        inspector, head, check = await _seed(session)
        asked = await review.record(session, check.id, 0, "needs_correction", head.id)
        draft = await corrections.start_correction(
            session, check, asked.seq, "packaging_replaced", "zalo"
        )
        fixed = await runs.answers_of(session, draft.id)
        fixed["packaging_replaced"].value_text = "full"
        await review.record(session, check.id, 1, "corrected", inspector.id)
        await corrections.change_answers(
            session, check.id, fixed, changed_by_id=inspector.id, reason="Bao bì đã thay"
        )
        await review.record(session, check.id, 2, "approved", head.id)
        await session.commit()
        settings = ReportSettings(timezone=TZ, out_dir=tmp_path, review_rule="approved")
        path = await export_xlsx(session, YEAR, tmp_path / "x.xlsx", settings=settings)
        personal_free = await export_xlsx(
            session, YEAR, tmp_path / "y.xlsx", settings=settings, personal=False
        )
    book = openpyxl.load_workbook(path)
    shops = list(book["Siêu thị, TTTM"].iter_rows(values_only=True))
    assert shops[0][-1] == "Tình trạng duyệt" and shops[1][-1] == "Đã duyệt"
    history = list(book["Lịch sử sửa"].iter_rows(values_only=True))
    assert history[0] == (
        "Mã phiếu", "Loại phiếu", "Câu hỏi", "Giá trị cũ", "Giá trị mới",
        "Người sửa", "Lúc sửa", "Lý do",
    )  # fmt: skip
    assert history[1][0] == check.id and history[1][3:6] == (
        "Một phần",
        "Đã thay hoàn toàn",
        "Lê Thị Kiểm",
    )
    assert history[1][7] == "Bao bì đã thay"
    indicators = list(book["Chỉ tiêu"].iter_rows(values_only=True))
    assert indicators[-1][1] == "Chỉ tiêu chỉ tính các phiếu đã được duyệt."
    # Without personal data: no name of who changed it.
    history = list(openpyxl.load_workbook(personal_free)["Lịch sử sửa"].iter_rows(values_only=True))
    assert "Người sửa" not in history[0] and "Lê Thị Kiểm" not in history[1]


def test_the_rule_goes_from_the_configuration_to_every_report(tmp_path):
    from bot.app import build_engine
    from bot.cli.reports import _report_settings as report_settings
    from bot.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[review]\nindicators = "approved"\n', encoding="utf-8")
    config = load_config(path)
    assert build_engine(config).report_settings.review_rule == "approved"
    assert report_settings(config).review_rule == "approved"
    assert load_config(None).get("review", "indicators") == "all"


async def test_the_annual_report_says_which_checks_the_figures_count(db, tmp_path):
    import docx

    from handlers.reports import ReportSettings, report_docx

    async with db.session() as session:
        await _seed(session)
        settings = ReportSettings(timezone=TZ, out_dir=tmp_path, review_rule="approved")
        path = await report_docx(session, YEAR, tmp_path / "r.docx", settings=settings)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Chỉ tiêu chỉ tính các phiếu đã được duyệt." in text

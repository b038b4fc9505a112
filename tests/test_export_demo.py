"""`fieldbot demo` says where its database is, and `fieldbot summary/export/report
--demo` read that database (not the configured one): through the real command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import openpyxl

from storage import sites
from tests.bot_process import FIELDBOT


def fieldbot(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
    return subprocess.run(
        [str(FIELDBOT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=180,
        check=False,
    )


def test_the_demo_says_where_its_data_is_and_the_reports_read_it(tmp_path):
    # Before any demo: --demo says what to do, and no file appears.
    missing = fieldbot(tmp_path, "summary", "--demo")
    assert missing.returncode == 2
    assert "no demo database in this folder" in missing.stderr
    assert "run `fieldbot demo` here first" in missing.stderr
    assert not (tmp_path / "fieldbot-demo.db").exists()

    demo = fieldbot(tmp_path, "demo", stdin="/quit\n")
    assert demo.returncode == 0, demo.stderr
    database = tmp_path.absolute() / "fieldbot-demo.db"
    assert f"Demo database: {database}" in demo.stdout
    assert "fieldbot summary --demo" in demo.stdout
    assert "fieldbot export --demo --out demo.xlsx" in demo.stdout

    summary = fieldbot(tmp_path, "summary", "--demo")
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout.startswith("📊 SXTDBV năm ")
    # The configured database (./fieldbot.db by default) was never made nor read.
    assert not (tmp_path / "fieldbot.db").exists()

    out = tmp_path / "demo.xlsx"
    export = fieldbot(tmp_path, "export", "--demo", "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip() == f"written {out}"
    rows = list(openpyxl.load_workbook(out)["Cơ sở"].iter_rows(values_only=True))
    sample, errors = sites.parse_sites_csv(sites.sample_sites_csv())
    assert not errors and len(rows) - 1 == len(sample)  # the demo's sample sites

    report = fieldbot(tmp_path, "report", "--demo", "--out", str(tmp_path / "demo.docx"))
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "demo.docx").stat().st_size > 0

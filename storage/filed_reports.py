"""A filed department report as the compiled report reads it: plain values, no SQL.

Here, below handlers/, because storage/dept_reports.py builds it from the table and
storage never imports handlers (tests/test_import_graph.py); handlers/report_forms
re-exports it as ``handlers.report_forms.filed.FiledReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FiledReport:
    department_code: str
    name_vi: str
    name_en: str
    year: int
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at: datetime | None = None
    submitted_by: str | None = None

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi

    def text(self, question_id: str) -> str:
        value = self.answers.get(question_id)
        return value.strip() if isinstance(value, str) else ""

    def number(self, question_id: str) -> int | None:
        value = self.answers.get(question_id)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def entries(self, question_id: str) -> list[dict[str, Any]]:
        value = self.answers.get(question_id)
        return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []

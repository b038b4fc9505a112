"""/summary, /export and /report: the indicators as a short message and a chart, an
Excel workbook of every submitted check, and a Word draft of the annual report.

No messenger code here: the engine (and the command line) call these functions and
send what they return. The numbers come from storage.kpis, judged by
handlers.targets; the texts from the catalog (handlers/locales/reports_<lang>.toml).

The modules, by job: ``figures`` (settings, ``year_figures``), ``formatting``
(numbers, dates, indicator values), ``answers`` (an answer as a cell or text),
``summary`` (the message), ``chart`` (the PNG), ``cells``, ``workbook`` and
``workbook_sheets`` (the streamed XLSX), ``annual_report`` and ``annual_sections``
(the DOCX), ``commands`` (the chat commands). matplotlib, openpyxl and python-docx
are imported only when a chart or file is made, so start-up stays quick.
"""

from handlers.reports.annual_report import report_docx
from handlers.reports.answers import answer_text, answer_value
from handlers.reports.cells import EXCEL_CELL_CHARACTERS
from handlers.reports.chart import summary_chart
from handlers.reports.commands import (
    export_command,
    fresh_path,
    parse_year,
    refusal,
    report_command,
    summary_command,
)
from handlers.reports.figures import ReportSettings, YearFigures, year_figures
from handlers.reports.formatting import (
    SIGNS,
    count_text,
    day_text,
    detail_text,
    file_text,
    percent_text,
    target_text,
    value_text,
)
from handlers.reports.summary import Summary, build_summary, summary_text
from handlers.reports.workbook import ExportData, export_xlsx, write_xlsx

__all__ = [
    "EXCEL_CELL_CHARACTERS",
    "SIGNS",
    "ExportData",
    "ReportSettings",
    "Summary",
    "YearFigures",
    "answer_text",
    "answer_value",
    "build_summary",
    "count_text",
    "day_text",
    "detail_text",
    "export_command",
    "export_xlsx",
    "file_text",
    "fresh_path",
    "parse_year",
    "percent_text",
    "report_command",
    "report_docx",
    "summary_chart",
    "refusal",
    "summary_command",
    "summary_text",
    "target_text",
    "value_text",
    "write_xlsx",
    "year_figures",
]

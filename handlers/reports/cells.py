"""Writing a write-only openpyxl worksheet safely: every text a text cell (never a
formula), within Excel's limits, headers bold, the first row frozen and printed on
every page.

openpyxl is imported by the functions that build a workbook, not here at import."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.reports.formatting import file_text

# Excel's limit for the text of one cell.
EXCEL_CELL_CHARACTERS = 32767
# A text starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAY = "dd/mm/yyyy"
MOMENT = "dd/mm/yyyy hh:mm"


def sheet_title(name: str, taken: set[str]) -> str:
    """A title Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    name = " ".join(file_text(name).split())
    for character in "[]:*?/\\":
        name = name.replace(character, " ")
    name = name.strip()[:31] or "Sheet"
    title, number = name, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = name[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _print_setup(sheet) -> None:
    """Printed as offices print tables: A4 landscape, all columns on the page width,
    the header row on every page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4 (openpyxl's Worksheet.PAPERSIZE_A4)
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0  # 0: as many pages as needed
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"


class SheetWriter:
    """Appends rows to one write-only worksheet and remembers its size."""

    def __init__(self, workbook, title: str, headers: list[str], widths: list[int]):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        self._cell = WriteOnlyCell
        self._letter = get_column_letter
        self.sheet = workbook.create_sheet(title)
        # Widths and the frozen row go before the first row: write-only sheets
        # write their head when the first row arrives.
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        _print_setup(self.sheet)
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        header = [self.cell(text, styled=True) for text in headers]
        for cell in header:
            cell.font, cell.alignment = bold, wrap
        self.sheet.append(header)
        self.columns, self.rows = len(headers), 1

    def cell(self, value: Any, number_format: str | None = None, styled: bool = False):
        """Numbers and dates as they are, every text as a text cell (never a formula,
        whatever it starts with), cleaned and within Excel's limit. A plain value
        where no style is needed: a cell object per value would double the time."""
        if isinstance(value, str):
            value = file_text(value)
            if len(value) > EXCEL_CELL_CHARACTERS:
                value = value[: EXCEL_CELL_CHARACTERS - 1] + "…"
            if not (value.startswith(_FORMULA_STARTS) or number_format or styled):
                return value  # openpyxl keeps it a text: only "=…" would be a formula
        elif isinstance(value, date) and number_format is None:
            number_format = DAY
        elif number_format is None and not styled:
            return value
        cell = self._cell(self.sheet, value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl makes "=…" a formula; "s" is only text
            # Excel's leading apostrophe: the cell stays text when someone edits it.
            cell.quotePrefix = value.startswith(_FORMULA_STARTS)
        if number_format is not None:
            cell.number_format = number_format
        return cell

    def append(self, values: list[Any], formats: dict[int, str] | None = None) -> None:
        """One row; ``formats`` maps a column (1-based) to its number format."""
        formats = formats or {}
        self.sheet.append(
            [self.cell(value, formats.get(column)) for column, value in enumerate(values, 1)]
        )
        self.rows += 1

    def filter_rows(self) -> None:
        """An auto filter over the whole table, when it has rows."""
        if self.rows > 1:
            self.sheet.auto_filter.ref = f"A1:{self._letter(self.columns)}{self.rows}"

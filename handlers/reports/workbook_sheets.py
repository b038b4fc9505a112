"""The export's last two sheets: every site with its checks, and the indicators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.catalog import t
from handlers.reports.answers import COORDINATES, number_cell
from handlers.reports.cells import MOMENT
from handlers.reports.formatting import detail_text, local_time, target_text, vietnamese_key
from handlers.targets import target_years

if TYPE_CHECKING:
    from handlers.reports.workbook import ExportData

_SITE_HEADERS = (
    "rep_col_site_code",
    "rep_col_site_name",
    "rep_col_site_kind",
    "rep_col_commune",
    "rep_col_old_district",
    "rep_col_province",
    "rep_col_site_status",
    "rep_col_lat",
    "rep_col_lon",
    "rep_col_checks",
    "rep_col_last_check",
    "rep_col_note",
)


def sites_sheet(data: ExportData, new_sheet) -> None:
    lang = data.language
    headers = [t(lang, key, year=data.year) for key in _SITE_HEADERS]
    widths = [16, 40, 20, 24, 22, 14, 16, 11, 11, 12, 17, 40]
    # Without personal data: no coordinates at all (columns 8 and 9 go).
    keep = [i for i in range(len(headers)) if data.personal or i not in (7, 8)]
    headers, widths = [headers[i] for i in keep], [widths[i] for i in keep]
    sheet = new_sheet(t(lang, "rep_sheet_sites"), headers, widths)
    # By name in Vietnamese alphabetical order (Đ after D, Ơ after O), as a list
    # typed by hand would be; the code breaks ties between namesakes.
    formats = {keep.index(10) + 1: MOMENT}
    formats |= {keep.index(i) + 1: COORDINATES for i in (7, 8) if i in keep}
    ordered = sorted(data.sites, key=lambda row: (vietnamese_key(row[0].name), row[0].code))
    for site, checks, last in ordered:
        values = [
            site.code,
            site.name,
            t(lang, f"rep_kind_{site.kind}"),
            site.commune,
            site.old_district,
            site.province,
            t(lang, f"rep_site_{site.status}"),
            site.latitude,
            site.longitude,
            checks,
            local_time(last, data.timezone).replace(tzinfo=None) if last else None,
            site.note,
        ]
        sheet.append([values[i] for i in keep], formats)
    sheet.filter_rows()


def _target_cells(indicator, years: list[int], lang: str) -> list[Any]:
    """Per target year: the number (a share for ratios), a range as text, or empty."""
    cells: list[Any] = []
    for year in years:
        target = indicator.target_in(year)
        if target is None:
            cells.append(None)
        elif target.high is not None:
            cells.append(target_text(target, indicator.kind, lang))
        else:
            cells.append(number_cell(target.value))
    return cells


def indicators_sheet(data: ExportData, new_sheet):
    lang = data.language
    years = target_years(data.indicators)
    headers = [
        t(lang, "rep_col_id"),
        t(lang, "rep_col_indicator"),
        t(lang, "rep_col_result", year=data.year),
        t(lang, "rep_col_numerator"),
        t(lang, "rep_col_denominator"),
        t(lang, "rep_col_detail"),
        *(t(lang, "rep_col_target", year=year) for year in years),
        t(lang, "rep_col_achieved"),
        t(lang, "rep_col_status"),
        t(lang, "rep_col_source"),
    ]
    widths = [10, 60, 14, 10, 10, 40, *([13] * len(years)), 10, 20, 45]
    sheet = new_sheet(t(lang, "rep_sheet_indicators"), headers, widths)
    for indicator in data.indicators:
        ratio = indicator.ratio
        targets = _target_cells(indicator, years, lang)
        values = [
            indicator.id.upper() if indicator.id != "coverage" else "",
            t(lang, f"rep_long_{indicator.id}"),
            number_cell(indicator.value) if indicator.kind == "count" else indicator.value,
            ratio.numerator if ratio else None,
            ratio.denominator if ratio else None,
            detail_text(indicator, lang) or None,
            *targets,
            indicator.achieved,
            t(lang, f"rep_status_{indicator.status.value}"),
            t(lang, f"rep_source_{indicator.id}"),
        ]
        formats = {7 + len(years): "0.0%"}
        if indicator.kind == "ratio":
            formats[3] = "0.0%"
            for offset, target in enumerate(targets):
                if isinstance(target, float | int):
                    formats[7 + offset] = "0%"
        sheet.append(values, formats)
    return sheet

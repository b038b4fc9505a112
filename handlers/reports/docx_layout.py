"""The layout of an official document (Decree 30/2020/NĐ-CP) for the Word files the
reports write: A4, Times New Roman everywhere (the theme, the defaults and every
style, so no heading falls back to Calibri), the margins, the page number centred
at the top from page 2, short rules under the agency name and the national motto,
and tables built as XML in one go (python-docx's cell API rescans the whole table
for every cell: minutes for an annex of thousands of sites).

python-docx and lxml are imported by the caller's write(), never at import time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from handlers.reports.formatting import file_text

FONT = "Times New Roman"
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_TWIPS_PER_CM = 567
# Margins (cm): top, bottom 2; left 3; right 1.5 (Decree 30: 20–25, 20–25, 30–35, 15–20 mm).
MARGINS_CM = {"top": 2.0, "bottom": 2.0, "left": 3.0, "right": 1.5}
A4_CM = (21.0, 29.7)
TEXT_WIDTH_CM = A4_CM[0] - MARGINS_CM["left"] - MARGINS_CM["right"]
LANDSCAPE_TEXT_WIDTH_CM = A4_CM[1] - MARGINS_CM["left"] - MARGINS_CM["right"]


def twips(cm: float) -> int:
    return round(cm * _TWIPS_PER_CM)


def _fonts_everywhere(document) -> None:
    """Times New Roman in the defaults, every style and the theme: a theme attribute
    (w:asciiTheme) wins over w:ascii, which is why headings showed Calibri."""
    from docx.oxml.ns import qn

    styles = document.styles.element
    fonts = styles.xpath("//w:rFonts")
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    if r_pr.find(qn("w:rFonts")) is None:
        r_pr.insert(0, r_pr.makeelement(qn("w:rFonts"), {}))
        fonts = styles.xpath("//w:rFonts")
    for element in fonts:
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            element.attrib.pop(qn(f"w:{attribute}"), None)
        for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
            element.set(qn(f"w:{attribute}"), FONT)
    theme = next(
        (p for p in document.part.package.iter_parts() if p.partname.endswith("theme1.xml")),
        None,
    )
    if theme is not None:
        blob = theme.blob.decode("utf-8")
        for old in ('typeface="Calibri"', 'typeface="Cambria"', 'typeface="Calibri Light"'):
            blob = blob.replace(old, f'typeface="{FONT}"')
        theme._blob = blob.encode("utf-8")


def _styles(document) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    normal = document.styles["Normal"]
    normal.font.size = Pt(13)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size in (("Heading 1", 13), ("Heading 2", 13), ("Title", 14)):
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name in ("Normal", "Heading 1", "Heading 2", "Title", "List Bullet"):
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)


def page(section, landscape: bool = False) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    width, height = A4_CM
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = Cm(width), Cm(height)
    section.top_margin, section.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
    section.left_margin, section.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
    section.header_distance = section.footer_distance = Cm(1.0)


def _page_numbers(section) -> None:
    """The number centred at the top, none on page 1 (Decree 30, art. on page numbers)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml

    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph._p.append(
        parse_xml(f'<w:fldSimple {_W} w:instr="PAGE"><w:r><w:t>2</w:t></w:r></w:fldSimple>')
    )


def new_document():
    """An empty A4 document with the official fonts, margins and page numbers."""
    from docx import Document

    document = Document()
    _fonts_everywhere(document)
    _styles(document)
    section = document.sections[0]
    page(section)
    _page_numbers(section)
    return document


def rule(cell, length_cm: float, cell_width_cm: float) -> None:
    """A short centred line in a letterhead cell: a tiny paragraph with a bottom
    border, indented so the line is ``length_cm`` long."""
    from docx.oxml import parse_xml

    side = twips(max((cell_width_cm - length_cm) / 2 - 0.2, 0))
    cell._tc.append(
        parse_xml(
            f'<w:p {_W}><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1"'
            ' w:color="000000"/></w:pBdr><w:spacing w:before="0" w:after="120" w:line="120"'
            f' w:lineRule="exact"/><w:ind w:left="{side}" w:right="{side}"/></w:pPr>'
            '<w:r><w:rPr><w:sz w:val="4"/></w:rPr></w:r></w:p>'
        )
    )


def fix_widths(table, widths_cm: Sequence[float]) -> None:
    """Column widths a reader keeps: the grid (which LibreOffice follows), every
    cell (which Word follows) and a fixed layout (no autofit to the text)."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        column.set(qn("w:w"), str(twips(width)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _cell_parts(width: int, size: int, bold: bool, centre: bool) -> tuple[str, str]:
    """A cell's XML before and after its text (the same for a whole column)."""
    jc = '<w:jc w:val="center"/>' if centre else ""
    b = "<w:b/>" if bold else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
        f'<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>{jc}'
        f'</w:pPr><w:r><w:rPr>{b}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
        '<w:t xml:space="preserve">',
        "</w:t></w:r></w:p></w:tc>",
    )


_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'


def _row(values: Sequence[object], parts: list[tuple[str, str]], header: bool = False) -> str:
    # Only escaped here: the characters XML cannot hold go from the whole table at
    # once (file_text over one string is a C loop; per cell it was a third of it).
    cells = "".join(
        f"{before}{escape(str(v))}{after}" for v, (before, after) in zip(values, parts, strict=True)
    )
    head = "<w:tblHeader/>" if header else ""
    return f"<w:tr><w:trPr><w:cantSplit/>{head}</w:trPr>{cells}</w:tr>"


# A marker paragraph stands where each table goes; save() puts the table's XML in
# its place as text. Parsing a table of thousands of rows into the tree and moving
# it into the document (lxml fixes every node's namespaces) took most of a minute.
_MARKER = "FIELDBOT-TABLE-{}"
_MARKER_P = re.compile(r"<w:p>(?:(?!<w:p[ >]).)*?FIELDBOT-TABLE-(\d+)</w:t></w:r></w:p>", re.S)
_TAIL_P = (
    '<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
    '<w:rPr><w:sz w:val="2"/></w:rPr></w:pPr></w:p>'
)


def table(
    document,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths_cm: Sequence[float],
    size_pt: float = 11,
    centred: Sequence[int] = (0,),
) -> None:
    """A bordered table, the header row repeated on every page and no row split
    across pages; ``centred``: the columns centred (the number, short figures).
    Written by save() (see _MARKER)."""
    widths = [twips(w) for w in widths_cm]
    size = round(size_pt * 2)
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    head_parts = [_cell_parts(w, size, True, True) for w in widths]
    body_parts = [_cell_parts(w, size, False, i in centred) for i, w in enumerate(widths)]
    parts = [
        f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
        f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="70" w:type="dxa"/><w:right w:w="70" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr><w:tblGrid>",
        *(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
        _row(headers, head_parts, header=True),
        *(_row(values, body_parts) for values in rows),
        # Word needs a paragraph after a table before a section break or another
        # table: one a point high, so a table filling its page pushes no blank page.
        f"</w:tbl>{_TAIL_P}",
    ]
    tables = document.__dict__.setdefault("_fieldbot_tables", [])
    document.add_paragraph(_MARKER.format(len(tables)))
    # The templates hold no line break: every one left is a cell's own.
    tables.append(file_text("".join(parts)).replace("\n", _BREAK))


def save(document, path) -> None:
    """Saves the document with its tables in place of their markers."""
    import io
    import zipfile

    buffer = io.BytesIO()
    document.save(buffer)
    tables = document.__dict__.get("_fieldbot_tables", [])
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml" and tables:
                xml = data.decode("utf-8")
                xml = _MARKER_P.sub(lambda m: tables[int(m[1])], xml)
                data = xml.encode("utf-8")
            out.writestr(item, data)

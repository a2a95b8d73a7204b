"""The chairman's report as an editable Word file (python-docx) in the Decree 30 layout:
A4 portrait, margins 22/22/32/17 mm (top/bottom/left/right), Times New Roman 13 pt in black, real Word tables;
page numbers at the top centre from page 2 (a PAGE field in the header, a different, empty
first-page header), headings kept with their tables and table header rows repeated."""
import io

from fieldapp.forms import text
from fieldapp.reports.decree30 import MOTTO, NATION, heading
from fieldapp.reports.weekly import build_behind, build_indicators, needed_words

__all__ = ["render_docx"]

FONT, SIZE = "Times New Roman", 13


def _fill(par, words, bold=False, italic=False, align=None, size=None):
    """Align the paragraph `par` and add `words` as one run in that weight and size."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    if align:
        par.alignment = getattr(WD_ALIGN_PARAGRAPH, align)
    run = par.add_run(words)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    return par


def _paragraph(doc_or_cell, words="", bold=False, italic=False, align=None, size=None):
    """Add a paragraph of `words` to a document or cell; return it."""
    return _fill(doc_or_cell.add_paragraph(), words, bold, italic, align, size)


def _setup(document):
    from docx.shared import Mm, Pt, RGBColor
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(22), Mm(22)
    section.left_margin, section.right_margin = Mm(32), Mm(17)
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(SIZE)
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.element.rPr.rFonts.set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT)
    section.different_first_page_header_footer = True
    _page_number(section.header.paragraphs[0])


def _page_number(par):
    """A centred PAGE field: Word and LibreOffice fill in the page's number."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None),
                              (None, "2"), ("end", None)):
        run = par.add_run()
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif instruction == " PAGE ":
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = instruction
            run._r.append(code)
        else:
            run.text = instruction


def _heading(document, words):
    """A bold section heading that stays on the page of what follows it."""
    from docx.shared import Pt
    par = _paragraph(document, words, bold=True)
    par.paragraph_format.keep_with_next = True
    par.paragraph_format.space_before = Pt(10)
    return par


def _table(document, header, rows):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    _repeat_header(table.rows[0])
    for cell, words in zip(table.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].add_run(words).bold = True
    for row in rows:
        for cell, words in zip(table.add_row().cells, row):
            cell.text = words
    return table


def _no_split(row):
    """The row is never broken across two pages."""
    from docx.oxml import OxmlElement
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row):
    """The row is repeated at the top of every page the table runs onto."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _widths(table, millimetres):
    """Fixed column widths (Word and LibreOffice both honour cell widths, not grid ones)."""
    from docx.shared import Mm
    table.autofit = False
    for column, width in zip(table.columns, millimetres):
        column.width = Mm(width)          # the grid, which LibreOffice lays out by
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres):
            cell.width = Mm(width)


def _cell(cell, words, bold=False, italic=False, size=None, align="CENTER"):
    """Put `words` in the cell's first paragraph; return that paragraph."""
    cell.text = ""
    return _fill(cell.paragraphs[0], words, bold, italic, align, size)


def render_docx(data):
    """Word (.docx) bytes of a report (fieldapp.reports.weekly.ReportData)."""
    import docx
    head = heading(data)
    document = docx.Document()
    _setup(document)
    # the text block is 161 mm wide (A4 less 32 and 17 mm margins)
    top = document.add_table(rows=1, cols=2)
    _widths(top, (62, 99))
    left, right = top.rows[0].cells
    _cell(left, head.issuer, bold=True)
    _paragraph(left, "―――――", align="CENTER", size=8)
    _paragraph(left, head.number_line, align="CENTER")
    _cell(right, NATION, bold=True, size=12)
    _paragraph(right, MOTTO, bold=True, align="CENTER")
    _paragraph(right, "――――――――――", align="CENTER", size=8)
    _paragraph(right, head.date_line, italic=True, align="CENTER")
    _paragraph(document, "")
    _paragraph(document, head.title, bold=True, align="CENTER", size=14)
    _paragraph(document, head.summary, bold=True, align="CENTER")
    _paragraph(document, f"Số liệu tính đến hết ngày {text.vn_date(data.as_of)}.")
    rows = build_indicators(data)["rows"]
    _heading(document, "1. Kết quả so với chỉ tiêu")
    table = _table(document, ("Chỉ số", "Kết quả", "Tỷ lệ", "Chỉ tiêu", "Đánh giá"), [
        (r["label"], f"{text.vn_number(r['numerator'])}/{text.vn_number(r['denominator'])}",
         text.percent(r["value"]), text.target(r["target"]),
         {True: "Đạt", False: "Chưa đạt"}.get(r["met"]) or _unmet(r)) for r in rows])
    _widths(table, (62, 24, 24, 21, 30))
    behind = build_behind(data)["rows"]
    if behind:
        _heading(document, "2. Chỉ tiêu chưa đạt và số còn thiếu")
        table = _table(document, ("Chỉ số", "Tỷ lệ", "Chỉ tiêu", "Còn cần thêm"), [
            (r["entry"]["label"], text.percent(r["entry"]["value"]),
             text.target(r["entry"]["target"]),
             needed_words(r["needed"], r["unit"])) for r in behind])
        _widths(table, (58, 22, 21, 60))
    # the signature block is never alone on its page: the table's last row goes with it
    for cell in table.rows[-1].cells:
        for par in cell.paragraphs:
            par.paragraph_format.keep_with_next = True
    _paragraph(document, "").paragraph_format.keep_with_next = True
    sign = document.add_table(rows=1, cols=2)
    _widths(sign, (75, 86))
    _no_split(sign.rows[0])
    recipients, signer = sign.rows[0].cells
    _cell(recipients, "Nơi nhận:", bold=True, italic=True, size=12, align=None)
    for line in head.recipients:
        _paragraph(recipients, "- " + line, size=11)
    _cell(signer, head.signer_capacity, bold=True)
    if head.signer_title:
        _paragraph(signer, head.signer_title, bold=True, align="CENTER")
    for _ in range(4):                     # room for the signature and the seal
        _paragraph(signer, "")
    _paragraph(signer, head.signer_name, bold=True, align="CENTER")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _unmet(row):
    """The verdict of a row that is neither met nor missed, as the PDF words it."""
    return text.NO_TARGET if row["target"] is None else "Chưa có số liệu"

"""The FAQ corpus as an Excel workbook (.xlsx): staff keep their FAQ in Excel, so it goes both ways."""
from __future__ import annotations

import io
from collections.abc import Iterable
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from faq.corpus_csv import COLUMNS, LIST_SEPARATOR, MESSAGES, CorpusFormatError, FaqRow, RowError, read_table

MAX_XLSX_BYTES = 20 * 1024 * 1024


def read_xlsx(raw: bytes) -> list[FaqRow]:
    """The first sheet's rows, checked exactly as a CSV's are (errors name spreadsheet rows)."""
    if len(raw) > MAX_XLSX_BYTES:
        raise CorpusFormatError([RowError(1, MESSAGES["too_large"])])
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CorpusFormatError([RowError(1, MESSAGES["not_xlsx"])]) from exc
    try:
        return read_table(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def write_xlsx(rows: Iterable[FaqRow]) -> bytes:
    """A workbook staff can edit and import again unchanged."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "FAQ"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.id, row.category, row.question, row.answer, LIST_SEPARATOR.join(row.paraphrases),
                      LIST_SEPARATOR.join(row.keywords), 1 if row.enabled else 0])
    for column, width in zip("ABCDEFG", (14, 18, 40, 60, 40, 24, 8)):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

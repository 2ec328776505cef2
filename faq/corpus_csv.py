"""The project's FAQ CSV format: read and write, with row-numbered errors.

Columns: id, category, question, answer, paraphrases, keywords, enabled. UTF-8 with a BOM so that
Excel opens it as UTF-8; paraphrases and keywords are "|"-separated; enabled is 1 or 0.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("id", "category", "question", "answer", "paraphrases", "keywords", "enabled")
LIST_SEPARATOR = "|"
MAX_ID_LENGTH = 64
# A blank cell means enabled: staff leave it empty when they add a row by hand.
# What staff read when a file cannot be imported (in the admin and from the CLI).
MESSAGES = {
    "not_utf8": "文字コードがUTF-8ではありません（Excelでは「CSV UTF-8（コンマ区切り）」で保存してください）",
    "missing_columns": "見出し行に必要な列がありません：{columns}",
    "repeated_id": "id「{id}」が{row}行目と重複しています",
    "column_count": "列の数が見出し行と合いません（「\"」の閉じ忘れはありませんか）",
    "empty": "{column} が空です",
    "long_id": "id が{limit}文字を超えています",
    "enabled": "enabled は 1 か 0 にしてください（「{value}」になっています）",
    "not_xlsx": "Excelのファイル（.xlsx）ではありません",
    "too_large": "ファイルが20MBを超えています",
}
_TRUE = {"1", "true", "yes", "○", "有効", ""}
_FALSE = {"0", "false", "no", "×", "無効"}


@dataclass(frozen=True)
class FaqRow:
    """One valid row of the corpus file."""

    id: str
    category: str
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row; `row` counts lines as a spreadsheet does (header = 1)."""

    row: int
    message: str


class CorpusFormatError(Exception):
    """The file cannot be imported; nothing of it was."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(f"row {e.row}: {e.message}" for e in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"{len(errors)} problem(s) in the FAQ file: {shown}{more}")


def read_csv(source: Path | str | bytes) -> list[FaqRow]:
    """Parse a whole corpus file, or raise CorpusFormatError listing every bad row."""
    raw = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel on Japanese Windows saves "CSV" as Shift_JIS unless told otherwise.
        raise CorpusFormatError([RowError(1, MESSAGES["not_utf8"])]) from exc
    return read_table(csv.reader(io.StringIO(text, newline="")))


def read_table(records: Iterable[Sequence[object]]) -> list[FaqRow]:
    """Rows of cells (from a CSV or a spreadsheet), header first; errors count rows as a spreadsheet does."""
    records = iter(records)
    header = [_cell(name).lower() for name in next(records, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise CorpusFormatError([RowError(1, MESSAGES["missing_columns"].format(columns=", ".join(missing)))])
    rows, errors, seen = [], [], {}
    for number, values in enumerate(records, start=2):
        cells = [_cell(value) for value in values]
        if not any(cells):
            continue
        complete = len(cells) == len(header) or (len(cells) > len(header) and not any(cells[len(header):]))
        row, problem = _parse_row(dict(zip(header, cells)), complete)
        if problem is None and row.id in seen:
            problem = MESSAGES["repeated_id"].format(id=row.id, row=seen[row.id])
        if problem is not None:
            errors.append(RowError(number, problem))
            continue
        seen[row.id] = number
        rows.append(row)
    if errors:
        raise CorpusFormatError(errors)
    return rows


def _cell(value: object) -> str:
    # Spreadsheets give numbers and None; a 1.0 in the enabled column means 1.
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_row(cells: dict[str, str], complete: bool) -> tuple[FaqRow, None] | tuple[None, str]:
    if not complete:
        return None, MESSAGES["column_count"]
    values = {name: (cells.get(name) or "").strip() for name in COLUMNS}
    for required in ("id", "question", "answer"):
        if not values[required]:
            return None, MESSAGES["empty"].format(column=required)
    if len(values["id"]) > MAX_ID_LENGTH:
        return None, MESSAGES["long_id"].format(limit=MAX_ID_LENGTH)
    enabled = values["enabled"].lower()
    if enabled not in _TRUE | _FALSE:
        return None, MESSAGES["enabled"].format(value=values["enabled"])
    return FaqRow(
        id=values["id"], category=values["category"], question=values["question"], answer=values["answer"],
        paraphrases=split_list(values["paraphrases"]), keywords=split_list(values["keywords"]),
        enabled=enabled in _TRUE,
    ), None


def split_list(cell: str) -> tuple[str, ...]:
    """"a|b| c" → ("a", "b", "c"), dropping empties and repeats."""
    items = (part.strip() for part in cell.split(LIST_SEPARATOR))
    return tuple(dict.fromkeys(item for item in items if item))


def write_csv(rows: Iterable[FaqRow]) -> bytes:
    """Serialise rows in the import format, BOM included, so that a round trip changes nothing."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.id, row.category, row.question, row.answer,
                         LIST_SEPARATOR.join(row.paraphrases), LIST_SEPARATOR.join(row.keywords),
                         "1" if row.enabled else "0"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

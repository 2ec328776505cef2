"""The project's FAQ CSV: what staff save from Excel comes in whole, or not at all with row numbers."""
from __future__ import annotations

import pytest

from faq.corpus_csv import COLUMNS, CorpusFormatError, FaqRow, read_csv, split_list, write_csv
from tests.conftest import TEST_CORPUS

HEADER = ",".join(COLUMNS)


def _csv(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join((HEADER,) + lines) + "\r\n").encode("utf-8")


def test_the_test_corpus_reads_with_its_lists_split() -> None:
    rows = read_csv(TEST_CORPUS)
    first = rows[0]
    assert first.id == "t-gomi-001"
    assert first.paraphrases == ("ソファを捨てたい", "大きいごみの出し方", "タンス捨てるんどうしたらええ？")
    assert [row.enabled for row in rows].count(False) == 1


def test_a_file_without_bom_reads_the_same() -> None:
    line = "a-1,税,住民税は？,納付書で払えます。,,,1"
    assert read_csv(_csv(line, bom=False)) == read_csv(_csv(line))


def test_quoted_cells_keep_commas_and_newlines() -> None:
    rows = read_csv(_csv('a-1,税,"住民税、いつ？","6月に通知します。\n納付は4回です。",,,1'))
    assert rows[0].question == "住民税、いつ？"
    assert rows[0].answer == "6月に通知します。\n納付は4回です。"


def test_a_blank_enabled_cell_means_enabled() -> None:
    assert read_csv(_csv("a-1,税,住民税は？,払えます。,,,"))[0].enabled


def test_every_broken_row_is_reported_with_its_spreadsheet_row_number() -> None:
    with pytest.raises(CorpusFormatError) as caught:
        read_csv(_csv(
            "a-1,税,住民税は？,払えます。,,,1",
            "a-2,税,,答え,,,1",            # row 3: no question
            "a-1,税,重複,答え,,,1",         # row 4: repeated id
            "a-4,税,質問,答え,,,maybe",     # row 5: bad enabled
        ))
    assert [(e.row, e.message) for e in caught.value.errors] == [
        (3, "question が空です"),
        (4, "id「a-1」が2行目と重複しています"),
        (5, "enabled は 1 か 0 にしてください（「maybe」になっています）"),
    ]


def test_a_missing_column_is_reported_on_the_header_row() -> None:
    with pytest.raises(CorpusFormatError) as caught:
        read_csv("\ufeffid,question,answer\r\na,b,c\r\n".encode())
    assert caught.value.errors[0].row == 1
    assert "category" in caught.value.errors[0].message


def test_a_shift_jis_file_is_refused_with_advice() -> None:
    raw = (HEADER + "\r\na-1,税,住民税は？,払えます。,,,1\r\n").encode("cp932")
    with pytest.raises(CorpusFormatError, match="CSV UTF-8"):
        read_csv(raw)


def test_writing_and_reading_back_changes_nothing() -> None:
    rows = read_csv(TEST_CORPUS)
    again = read_csv(write_csv(rows))
    assert again == rows
    assert write_csv(rows).startswith("\ufeff".encode("utf-8"))


@pytest.mark.parametrize(("cell", "expected"), [
    ("", ()),
    ("ごみ", ("ごみ",)),
    ("ごみ| ゴミ |塵", ("ごみ", "ゴミ", "塵")),
    ("a||a|b|", ("a", "b")),
])
def test_list_cells_split_on_pipes_dropping_blanks_and_repeats(cell: str, expected: tuple[str, ...]) -> None:
    assert split_list(cell) == expected


def test_rows_are_plain_values() -> None:
    assert FaqRow("a", "税", "q", "a") == FaqRow("a", "税", "q", "a", (), (), True)


def test_an_excel_workbook_round_trips_like_the_csv() -> None:
    from faq.corpus_xlsx import read_xlsx, write_xlsx

    rows = read_csv(TEST_CORPUS)
    assert read_xlsx(write_xlsx(rows)) == rows


def test_a_broken_excel_row_is_reported_with_its_row_number() -> None:
    import io

    from openpyxl import Workbook

    from faq.corpus_xlsx import read_xlsx

    workbook = Workbook()
    workbook.active.append(list(COLUMNS))
    workbook.active.append(["a-1", "税", "住民税は？", "払えます。", None, None, 1])
    workbook.active.append(["a-2", "税", None, "答え", None, None, 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(CorpusFormatError) as caught:
        read_xlsx(buffer.getvalue())
    assert [(e.row, e.message) for e in caught.value.errors] == [(3, "question が空です")]


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    from faq.corpus_xlsx import read_xlsx

    with pytest.raises(CorpusFormatError, match="Excelのファイル"):
        read_xlsx(b"id,category\r\n")

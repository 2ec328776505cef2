"""Reading a corpus file of any supported kind straight into engine documents (for evaluation)."""
from __future__ import annotations

from pathlib import Path

from faq.corpus_csv import FaqRow, read_csv
from faq.index import FaqDocument


def load_documents_file(path: Path) -> list[FaqDocument]:
    """The enabled entries of a project CSV, or every entry of a LocalgovFAQ corpus.json."""
    if path.suffix.lower() == ".json":
        from faq.localgov import load_corpus

        return load_corpus(path)
    return [row_to_document(row) for row in read_csv(path) if row.enabled]


def row_to_document(row: FaqRow) -> FaqDocument:
    """A corpus row as the engine sees it."""
    return FaqDocument(id=row.id, question=row.question, answer=row.answer, category=row.category,
                       paraphrases=row.paraphrases, keywords=row.keywords)

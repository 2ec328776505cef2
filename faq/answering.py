"""The live answer engine of a running Madoguchi: the current FaqIndex, swapped whole when the FAQ changes."""
from __future__ import annotations

import threading
from collections.abc import Iterable

from faq.index import FaqDocument, FaqIndex
from faq.match import Match, match


class FaqAnswerer:
    """Answers questions from the current index; a rebuild happens beside it and is swapped in at once.

    Readers never take the lock: assigning one attribute is atomic in CPython, so a question is
    answered by either the old index or the new one, never by a half-built one.
    """

    def __init__(self, index: FaqIndex) -> None:
        self._index = index
        self._rebuild_lock = threading.Lock()

    @classmethod
    def from_documents(cls, documents: Iterable[FaqDocument]) -> FaqAnswerer:
        """Build the first index."""
        return cls(FaqIndex.build(documents))

    @property
    def index(self) -> FaqIndex:
        """The index answering right now."""
        return self._index

    def match(self, text: str) -> Match:
        """Match a citizen's question against the current index."""
        return match(text, self._index)

    def replace_documents(self, documents: Iterable[FaqDocument]) -> None:
        """Rebuild from documents and swap the new index in; concurrent rebuilds run one after another."""
        with self._rebuild_lock:
            self._index = FaqIndex.build(documents)

"""The FAQ index: per-field BM25 inverted indices over Sudachi words and character bigrams.

Each FAQ is indexed in five fields — question words (question + keywords + category), paraphrase
words (questions staff linked to it), answer words, character bigrams of the question, and
bigrams of the question's kana reading — so match.py can weigh each kind of evidence separately.
(Bigrams of answers were tried and dropped: no better on LocalgovFAQ, and the costliest field.)

The index is immutable and copy-on-write: `with_document` and `without` return a new index that
shares every posting list except those of the edited FAQ's terms, so a staff edit or a new
paraphrase costs one Sudachi pass over that FAQ plus a few array copies (milliseconds, even at
20,000 entries) and answers in flight keep using the old index. IDF and average lengths come
from each index's live counts (a term's weights computed on its first use), so incremental and
full builds score identically. bm25s, the design's choice, builds a static index; it is kept in
bench/faq_quality.py as the baseline this one was measured against.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np

from faq.normalize import fold
from faq.tokenize import char_ngrams, folded_ngrams, reading, tokenize

if TYPE_CHECKING:
    from faq.synonyms import SynonymTable

FIELDS = ("q", "a", "qc", "p", "qr")


@dataclass(frozen=True)
class FaqDocument:
    """One FAQ entry as the engine sees it."""

    id: str
    question: str
    answer: str
    category: str = ""
    paraphrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analyzed:
    """Terms of one text per field; also used for queries."""

    terms: Mapping[str, Counter]
    folded_question: str = ""
    folded_phrasings: tuple[str, ...] = ()  # question and paraphrases, for exact-match checks


def analyze_document(doc: FaqDocument, synonyms: "SynonymTable | None") -> Analyzed:
    """Split a FAQ into per-field term counts."""
    question_text = "\n".join((doc.question, *doc.keywords, doc.category))
    paraphrase_text = "\n".join(doc.paraphrases)
    folded_answer = fold(doc.answer)
    folded_question = fold(question_text)
    return Analyzed(
        terms={
            "q": Counter(analyze_words(question_text, synonyms, folded=folded_question)),
            "p": Counter(analyze_words(paraphrase_text, synonyms)),
            "a": Counter(analyze_words(doc.answer, synonyms, folded=folded_answer)),
            "qc": Counter(folded_ngrams(folded_question)),
            # Bigrams of the reading let "としょかん" or "ｼﾞｭｳﾐﾝﾋｮｳ" find 図書館 and 住民票.
            "qr": Counter(char_ngrams(reading("\n".join((doc.question, *doc.paraphrases))))),
        },
        folded_question=fold(doc.question),
        folded_phrasings=tuple(_bare(fold(t)) for t in (doc.question, *doc.paraphrases)),
    )


def _bare(folded: str) -> str:
    """Letters and digits only: "ごみの日は？" and "ごみの日は" are the same phrasing."""
    return "".join(c for c in folded if c.isalnum())


def analyze_words(text: str, synonyms: "SynonymTable | None", *, folded: str | None = None) -> list[str]:
    """Sudachi content words plus the synonym-group terms found in the text."""
    words = tokenize(text)
    if synonyms is not None and text:
        words.extend(synonyms.group_terms(text, folded=folded))
    return words


@dataclass(frozen=True, eq=False)
class FieldIndex:
    """BM25 over one field; postings map a term to (slot ids, term frequencies)."""

    postings: Mapping[str, tuple[np.ndarray, np.ndarray]]
    lengths: np.ndarray
    total_length: float
    live: int
    k1: float = 1.2
    b: float = 0.75
    # Per-term BM25 weights of each posting, computed on a term's first use. The index is immutable
    # (an edit makes a new FieldIndex), so they never go stale; every question repeats the
    # vocabulary's common words, and recomputing their weights was most of the scoring time.
    _impacts: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def add_scores(self, terms: Mapping[str, float], out: np.ndarray, weight: float = 1.0) -> int:
        """Add weighted BM25 scores of `terms` (term -> query weight) into `out`; return hits."""
        if self.live == 0:
            return 0
        matched = 0
        for term, qw in terms.items():
            found = self.weights(term)
            if found is None:
                continue
            ids, impact = found
            scale = weight * qw
            out[ids] += impact if scale == 1.0 else scale * impact
            matched += 1
        return matched

    def weights(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(slots, BM25 weight of `term` in each) for the slots that contain it, or None; kept once computed."""
        if (found := self._impacts.get(term)) is not None:
            return found
        posting = self.postings.get(term)
        if posting is None:
            return None
        ids, tf = posting
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths[ids] / max(self.total_length / self.live, 1e-9))
        # A plain dict store: two threads racing on a new term compute the same array.
        self._impacts[term] = found = (ids, self.idf(term) * tf * (self.k1 + 1.0) / (tf + norm))
        return found

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 when unseen)."""
        posting = self.postings.get(term)
        if posting is None or self.live == 0:
            return 0.0
        df = len(posting[0])
        return math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))


def _build_field(per_slot: list[Counter | None], *, k1: float, b: float) -> FieldIndex:
    ids_by_term: dict[str, list[int]] = {}
    tfs_by_term: dict[str, list[int]] = {}
    lengths = np.zeros(len(per_slot), dtype=np.float64)
    live = 0
    for slot, counts in enumerate(per_slot):
        if counts is None:
            continue
        live += 1
        lengths[slot] = sum(counts.values())
        for term, tf in counts.items():
            ids_by_term.setdefault(term, []).append(slot)
            tfs_by_term.setdefault(term, []).append(tf)
    postings = {
        t: (np.asarray(ids, dtype=np.int32), np.asarray(tfs_by_term[t], dtype=np.float64))
        for t, ids in ids_by_term.items()
    }
    return FieldIndex(postings, lengths, float(lengths.sum()), live, k1, b)


def _field_with(fi: FieldIndex, slot: int, counts: Counter) -> FieldIndex:
    """Copy-on-write: append a slot (always the last one) to the posting lists it touches."""
    postings = dict(fi.postings)
    for term, tf in counts.items():
        old = postings.get(term)
        if old is None:
            postings[term] = (np.array([slot], np.int32), np.array([tf], np.float64))
        else:
            postings[term] = (np.append(old[0], np.int32(slot)), np.append(old[1], float(tf)))
    length = float(sum(counts.values()))
    lengths = np.append(fi.lengths, length)
    return FieldIndex(postings, lengths, fi.total_length + length, fi.live + 1, fi.k1, fi.b)


def _field_without(fi: FieldIndex, slot: int, counts: Counter) -> FieldIndex:
    postings = dict(fi.postings)
    for term in counts:
        ids, tf = postings[term]
        keep = ids != slot
        if keep.all():
            continue
        if keep.any():
            postings[term] = (ids[keep], tf[keep])
        else:
            del postings[term]
    lengths = fi.lengths.copy()
    removed = float(lengths[slot])
    lengths[slot] = 0.0
    return FieldIndex(postings, lengths, fi.total_length - removed, fi.live - 1, fi.k1, fi.b)


# b=0 for paraphrases: each linked question is more evidence, not a longer document. The question
# fields use the textbook b=0.75 (was 0.5): a long FAQ title otherwise matches many questions a
# little. That revert was prompted by the re-ranker's length feature; see the variant table.
FIELD_PARAMS = {"q": (1.2, 0.75), "a": (1.2, 0.75), "qc": (1.2, 0.75), "p": (1.2, 0.0), "qr": (1.2, 0.5)}


@dataclass(frozen=True, eq=False)
class FaqIndex:
    """Searchable, immutable set of FAQ documents (see module docstring)."""

    documents: tuple[FaqDocument | None, ...]  # by slot; None = removed
    analyzed: tuple[Analyzed | None, ...]
    slot_of: Mapping[str, int]
    fields: Mapping[str, FieldIndex]
    synonyms: "SynonymTable | None" = None
    folded_questions: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls, documents: Iterable[FaqDocument], *, synonyms: "SynonymTable | None" = None
    ) -> "FaqIndex":
        """Analyse and index all documents; a later duplicate id replaces an earlier one.

        `synonyms=None` means the bundled faq/data/synonyms.txt; pass `SynonymTable.empty()` for none.
        """
        if synonyms is None:
            from faq.synonyms import default_synonyms

            synonyms = default_synonyms()
        unique: dict[str, FaqDocument] = {}
        for doc in documents:
            unique[doc.id] = doc
        docs = tuple(unique.values())
        analyzed = tuple(analyze_document(d, synonyms) for d in docs)
        fields = {
            name: _build_field([a.terms[name] for a in analyzed], k1=k1, b=b)
            for name, (k1, b) in FIELD_PARAMS.items()
        }
        return cls(
            documents=docs,
            analyzed=analyzed,
            slot_of={d.id: i for i, d in enumerate(docs)},
            fields=fields,
            synonyms=synonyms,
            folded_questions=tuple(a.folded_question for a in analyzed),
        )

    def __len__(self) -> int:
        return len(self.slot_of)

    @cached_property
    def dead_slots(self) -> np.ndarray:
        """Slots of removed documents (their scores must be masked)."""
        return np.array([i for i, d in enumerate(self.documents) if d is None], dtype=np.int64)

    @property
    def slots(self) -> int:
        """Number of slots, including removed ones (the length of score arrays)."""
        return len(self.documents)

    def get(self, faq_id: str) -> FaqDocument | None:
        """The live document with this id, or None."""
        slot = self.slot_of.get(faq_id)
        return None if slot is None else self.documents[slot]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return (d for d in self.documents if d is not None)

    def with_document(self, doc: FaqDocument) -> "FaqIndex":
        """A new index with `doc` added, or replacing the FAQ with the same id."""
        base = self.without(doc.id) if doc.id in self.slot_of else self
        analyzed = analyze_document(doc, base.synonyms)
        slot = base.slots
        fields = {n: _field_with(base.fields[n], slot, analyzed.terms[n]) for n in FIELDS}
        return FaqIndex(
            documents=base.documents + (doc,),
            analyzed=base.analyzed + (analyzed,),
            slot_of={**base.slot_of, doc.id: slot},
            fields=fields,
            synonyms=base.synonyms,
            folded_questions=base.folded_questions + (analyzed.folded_question,),
        )

    def without(self, faq_id: str) -> "FaqIndex":
        """A new index without the FAQ `faq_id` (unchanged if it is absent)."""
        slot = self.slot_of.get(faq_id)
        if slot is None:
            return self
        analyzed = self.analyzed[slot]
        assert analyzed is not None
        fields = {n: _field_without(self.fields[n], slot, analyzed.terms[n]) for n in FIELDS}
        slot_of = {k: v for k, v in self.slot_of.items() if k != faq_id}
        return FaqIndex(
            documents=self.documents[:slot] + (None,) + self.documents[slot + 1 :],
            analyzed=self.analyzed[:slot] + (None,) + self.analyzed[slot + 1 :],
            slot_of=slot_of,
            fields=fields,
            synonyms=self.synonyms,
            folded_questions=self.folded_questions[:slot] + ("",) + self.folded_questions[slot + 1 :],
        )

    def compacted(self) -> "FaqIndex":
        """A fresh build without the holes left by removals (reuses no analysis state)."""
        return FaqIndex.build(list(self), synonyms=self.synonyms)

"""The live answer engine of a running Madoguchi: the current FaqIndex, kept in step with the database.

Every process (web workers, `madoguchi worker`s) holds its own index. Staff edit the FAQ in one of
them; the others notice at their next question (checked at most once a second) and apply just the
changed entries — about a millisecond each — so an edit answers citizens everywhere within a second,
without a rebuild blocking anyone.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from faq.index import FaqDocument, FaqIndex
from faq.match import Match, match
from faq.models import FaqEntry
from faq.services import load_documents, to_document
from faq.synonym_groups import synonym_table, synonyms_signature

SYNC_INTERVAL_SECONDS = 1.0
log = logging.getLogger(__name__)


class FaqAnswerer:
    """Answers questions from the current index; changes are applied beside it and swapped in at once.

    Readers never take the lock: assigning one attribute is atomic in CPython, so a question is
    answered by either the old index or the new one, never by a half-built one.
    """

    def __init__(self, index: FaqIndex, *, synced_until: datetime | None = None) -> None:
        self._index = index
        self._lock = threading.Lock()
        self._synced_until = synced_until
        # Entries already applied that carry the _synced_until timestamp (the next sync sees them again).
        self._applied_at_boundary: set[tuple[str, int]] = set()
        self._synonyms: tuple[int, datetime | None] | None = None  # the city's synonym groups it was built with
        self._checked_at = time.monotonic()
        self._built = True  # False only for an answerer started while the database was down

    @classmethod
    def from_documents(cls, documents: Iterable[FaqDocument]) -> FaqAnswerer:
        """Build the first index from documents (tests and tools)."""
        return cls(FaqIndex.build(documents))

    @classmethod
    def from_database(cls, session: Session) -> FaqAnswerer:
        """Build the first index from the enabled entries and the city's synonyms, remembering how far it is in step."""
        answerer = cls(FaqIndex.build([]))
        answerer._rebuild(session)
        return answerer

    @classmethod
    def from_database_when_reachable(cls, session_factory: sessionmaker) -> FaqAnswerer:
        """from_database, or — when the database is down as the process starts — one built at its first sync.

        A gunicorn worker recycled during an outage must still boot: one that cannot stops gunicorn
        altogether, and then nobody gets even a 503. Until its first sync the answerer refuses to
        answer (sync raises while the database stays down), so nobody is told "no answer" wrongly.
        """
        try:
            with session_factory() as session:
                return cls.from_database(session)
        except SQLAlchemyError as exc:
            log.warning("FAQ index not loaded (%s): it will be built when the database answers", type(exc).__name__)
            answerer = cls(FaqIndex.build([]))
            answerer._built = False
            return answerer

    def _rebuild(self, session: Session) -> None:
        # Everything re-analysed: the first build, and after the city changed its synonyms.
        latest = session.scalar(select(FaqEntry.updated_at).order_by(FaqEntry.updated_at.desc()).limit(1))
        self._synonyms = synonyms_signature(session)
        self._index = FaqIndex.build(load_documents(session), synonyms=synonym_table(session))
        self._synced_until = latest
        self._applied_at_boundary = {(row.external_id, row.version) for row in session.execute(
            select(FaqEntry.external_id, FaqEntry.version).where(FaqEntry.updated_at == latest))}
        self._built = True

    @property
    def index(self) -> FaqIndex:
        """The index answering right now."""
        return self._index

    def match(self, text: str) -> Match:
        """Match a citizen's question against the current index."""
        return match(text, self._index)

    def sync(self, session: Session, *, force: bool = False) -> int:
        """Apply entries changed in the database since the last sync; returns how many were applied."""
        if self._built and not force and time.monotonic() - self._checked_at < SYNC_INTERVAL_SECONDS:
            return 0
        with self._lock:
            self._checked_at = time.monotonic()
            if not self._built:
                self._rebuild(session)
                return len(self._index)
            if synonyms_signature(session) != self._synonyms:
                self._rebuild(session)  # a few seconds, once per synonym edit, in each process
                return len(self._index)
            changed = self._changed_entries(session)
            index = self._index
            for entry in changed:
                index = index.with_document(to_document(entry)) if entry.enabled else index.without(entry.external_id)
                if entry.updated_at != self._synced_until:
                    self._synced_until, self._applied_at_boundary = entry.updated_at, set()
                self._applied_at_boundary.add((entry.external_id, entry.version))
            # Each update leaves a dead slot behind; compact once they are a fifth of the index.
            if changed and len(index.dead_slots) * 5 > index.slots:
                index = index.compacted()
            self._index = index
            return len(changed)

    def _changed_entries(self, session: Session) -> list[FaqEntry]:
        # Versions first, whole entries (with their paraphrases) only for what changed: after an
        # import every entry shares one timestamp, and reloading them all each second cost a worker
        # about 5% of a core.
        statement = select(FaqEntry.id, FaqEntry.external_id, FaqEntry.version, FaqEntry.updated_at)
        if self._synced_until is not None:
            # >=, not >: an edit committed later with the same timestamp must not be missed;
            # applying an entry twice is harmless.
            statement = statement.where(FaqEntry.updated_at >= self._synced_until)
        fresh = [row.id for row in session.execute(statement.order_by(FaqEntry.updated_at, FaqEntry.id))
                 if not (row.updated_at == self._synced_until
                         and (row.external_id, row.version) in self._applied_at_boundary)]
        if not fresh:
            return []
        entries: dict[int, FaqEntry] = {}
        for start in range(0, len(fresh), 1000):  # a whole import elsewhere: bounded IN lists
            chunk = fresh[start:start + 1000]
            chunk_entries = session.scalars(select(FaqEntry).where(FaqEntry.id.in_(chunk)))
            entries.update((entry.id, entry) for entry in chunk_entries)
        return [entries[entry_id] for entry_id in fresh if entry_id in entries]

    def replace_documents(self, documents: Iterable[FaqDocument]) -> None:
        """Rebuild from documents and swap the new index in (a whole-corpus import)."""
        with self._lock:
            self._index = FaqIndex.build(documents)

"""The city's synonym list: groups of words residents and FAQ writers use for the same thing.

faq/data/synonyms.txt has one group per line, variants separated by commas or spaces, "#" for
comments, e.g. `ごみ, ゴミ, 塵, ごみ収集`. A city edits that file (or passes its own path) without
touching code. Matching is on folded text (width, kana, long vowels), so one variant covers
ゴミ/ごみ/ｺﾞﾐ. Every group found in a text adds one term, "≡<first variant>", to the text's
words, both when indexing a FAQ and when reading a question, so any variant finds the others.
(SudachiDict's own synonym dictionary needs chikkarpy, which cannot be installed here.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from faq.normalize import fold

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "synonyms.txt"
GROUP_PREFIX = "≡"


@dataclass(frozen=True)
class SynonymTable:
    """Synonym groups and a compiled matcher over all their variants."""

    groups: tuple[tuple[str, ...], ...]
    _group_of: dict[str, int]
    _pattern: re.Pattern[str] | None

    @classmethod
    def from_groups(cls, groups: list[list[str]] | tuple[tuple[str, ...], ...]) -> "SynonymTable":
        """Build from groups of variants; the first variant names the group."""
        clean = tuple(tuple(v.strip() for v in g if v.strip()) for g in groups)
        clean = tuple(g for g in clean if len(g) >= 2)
        group_of: dict[str, int] = {}
        for i, group in enumerate(clean):
            for variant in group:
                group_of.setdefault(fold(variant), i)
        # Longest first, so "マイナンバーカード" wins over "カード"-like shorter variants.
        keys = sorted((k for k in group_of if k), key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, keys))) if keys else None
        return cls(clean, group_of, pattern)

    @classmethod
    def empty(cls) -> "SynonymTable":
        """A table with no groups (synonym expansion off)."""
        return cls.from_groups([])

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> "SynonymTable":
        """Read a synonyms.txt file."""
        groups = []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append(re.split(r"[,、，\s]+", line))
        return cls.from_groups(groups)

    def group_terms(self, text: str, *, folded: str | None = None) -> list[str]:
        """One "≡name" term per occurrence of any variant of a group in `text`."""
        if self._pattern is None:
            return []
        found = []
        for m in self._pattern.finditer(fold(text) if folded is None else folded):
            found.append(GROUP_PREFIX + self.groups[self._group_of[m.group(0)]][0])
        return found

    def variants(self, word: str) -> tuple[str, ...]:
        """All variants in the group of `word` (just `word` if it is in none)."""
        i = self._group_of.get(fold(word))
        return (word,) if i is None else self.groups[i]


@lru_cache(maxsize=1)
def default_synonyms() -> SynonymTable:
    """The bundled faq/data/synonyms.txt, loaded once."""
    return SynonymTable.load(DEFAULT_PATH)

"""A firm's own open petitions that look like a new text (docs/rules.md §3 duplicates; §10 并单).

Portable on SQLite and PostgreSQL: the candidates are the firm's open petitions (one query), and
each is scored in Python by the Dice coefficient of the character bigrams of title + content.
Character bigrams suit Chinese, which has no spaces between words: “用电报装” and “报装用电”
share most of their bigrams, while unrelated texts share almost none.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from petitions.models import Petition

THRESHOLD = 0.25  # below this, texts about different matters (tested on typical petitions)
LIMIT = 5
MAX_CANDIDATES = 200  # the most recent open petitions of one firm; far more than any firm has


@dataclass(frozen=True)
class Match:
    petition: Petition
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, letters and digits only (punctuation and spaces go)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


def bigrams(text: str) -> frozenset[str]:
    chars = normalise(text)
    if len(chars) < 2:
        return frozenset([chars]) if chars else frozenset()
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """2·|A∩B| / (|A|+|B|): 1 for the same bigrams, 0 for none in common."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similar_open_petitions(
    *,
    enterprise_id: int,
    title: str,
    content: str,
    limit: int = LIMIT,
    threshold: float = THRESHOLD,
) -> list[Match]:
    """The firm's open petitions most like `title` + `content`, best first, at most `limit`."""
    wanted = bigrams(f"{title} {content}")
    if not wanted:
        return []
    candidates = (
        Petition.objects.filter(enterprise_id=enterprise_id)
        .open()
        .only("pk", "number", "title", "content", "state", "received_at", "due_on")
        .order_by("-received_at", "-pk")[:MAX_CANDIDATES]
    )
    matches = []
    for petition in candidates:
        score = dice(wanted, bigrams(f"{petition.title} {petition.content}"))
        if score >= threshold:
            matches.append(Match(petition, score))
    matches.sort(key=lambda m: (-m.score, -m.petition.pk))
    return matches[:limit]

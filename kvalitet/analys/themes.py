"""Themes the categories miss (issue 21, point 4): free texts grouped by similarity, on the
server, with no model download and no text leaving it.

TF-IDF over Swedish word stems (Snowball's Swedish stemmer, Snowball's Swedish stop words),
words and word pairs, then k-means (scikit-learn's MiniBatchKMeans, fixed seed) on the
L2-normalised vectors, which is clustering by cosine similarity. A cluster becomes a
suggested theme named by its heaviest stems, with the texts nearest its centre as examples.
The number of clusters is chosen from the number of texts (about one per 40, 2–12) unless
given. See docs/analys.md."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np
import snowballstemmer
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer

# Snowball's Swedish stop word list (snowballstem.org/algorithms/swedish/stop.txt).
_STOP = """
och det att i en jag hon som han på den med var sig för så till är men ett om hade de av
icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något
från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla under någon eller
allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt ni bli blev oss din dessa
några deras blir mina samma vilken er sådan vår blivit dess inom mellan sådant varför varje
vilka ditt vem vilket sitta sådana vart dina vars vårt våra ert era vilkas
"""
STOP_WORDS = frozenset(_STOP.split())
TOKEN = re.compile(r"(?u)\b[^\W\d_]{3,}\b")


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("swedish")


@cache
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def analyse(text: str) -> list[str]:
    """Lower-cased words of three letters or more, stop words out, stemmed."""
    return [_stem(w) for w in TOKEN.findall(text.lower()) if w not in STOP_WORDS]


@dataclass
class Theme:
    label: str  # the heaviest stems, e.g. "tolk, bokad, saknad"
    size: int
    members: list[int]  # indexes into the texts
    examples: list[int] = field(default_factory=list)  # nearest the centre first


def suggest(texts: Sequence[str], k: int | None = None, seed: int = 21) -> list[Theme]:
    """Group `texts` into suggested themes, largest first."""
    if len(texts) < 4:
        return []
    vectorizer = TfidfVectorizer(
        analyzer=lambda t: _ngrams(analyse(t)), min_df=2, max_df=0.5, sublinear_tf=True,
        dtype=np.float32,
    )  # fmt: skip
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no term left (every word a stop word or unique)
        return []
    if matrix.shape[1] == 0:
        return []
    k = k or max(2, min(12, len(texts) // 40))
    k = min(k, matrix.shape[0])
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048)
    labels = model.fit_predict(matrix)
    terms = np.array(vectorizer.get_feature_names_out())
    themes = []
    for cluster in range(k):
        members = np.flatnonzero(labels == cluster)
        if len(members) < 2:
            continue
        centre = model.cluster_centers_[cluster]
        top = [t for t in terms[np.argsort(centre)[::-1][:6]] if " " not in t][:3]
        scores = matrix[members] @ centre
        order = members[np.argsort(-np.asarray(scores).ravel())]
        themes.append(Theme(", ".join(top), len(members), [int(i) for i in members],
                            [int(i) for i in order[:5]]))  # fmt: skip
    return sorted(themes, key=lambda t: -t.size)


def _ngrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def purity(labels_true: Sequence[Any], themes: list[Theme]) -> float:
    """Share of texts whose theme's most common true label is their own (1.0: every theme
    holds one kind of text)."""
    right = 0
    for theme in themes:
        values = [labels_true[i] for i in theme.members]
        right += max(values.count(v) for v in set(values))
    return right / max(1, len(labels_true))

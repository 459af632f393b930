"""Theme suggestions: texts about the same thing land together (purity on labelled texts),
and 50,000 texts are grouped in under a minute."""

from __future__ import annotations

import random
import time

from kvalitet.analys.themes import analyse, purity, suggest

SUBJECTS = {
    "tolk": [
        "Tolk var inte bokad till mötet",
        "Tolken kom inte till samtalet med familjen",
        "Ingen tolk bokades trots att behovet var känt",
        "Tolken talade fel dialekt",
    ],
    "journal": [
        "Anteckning i journalen saknades efter hembesöket",
        "Journalen var inte uppdaterad i tid",
        "Journalen uppdaterades inte efter beslutet",
        "Anteckning i journal gjordes i fel akt",
    ],
    "utbetalning": [
        "Utbetalningen av försörjningsstöd blev försenad",
        "Utbetalningen hade fel belopp",
        "Utbetalning gjordes till fel konto",
        "Försenad utbetalning av bistånd",
    ],
    "telefon": [
        "Svårt att nå handläggaren på telefon",
        "Ingen svarade i telefon under telefontiden",
        "Telefonen var upptagen hela förmiddagen",
        "Handläggaren ringde inte tillbaka på telefon",
    ],
}
FILLER = [
    "under veckan",
    "enligt brukaren",
    "vid flera tillfällen",
    "igen",
    "i förra månaden",
    "vilket skapade oro",
    "enligt anhörig",
    "på enheten",
]


def labelled(n: int, seed: int = 5) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)  # noqa: S311 repeatable test texts
    texts, labels = [], []
    for _ in range(n):
        subject = rng.choice(list(SUBJECTS))
        texts.append(f"{rng.choice(SUBJECTS[subject])} {rng.choice(FILLER)}.")
        labels.append(subject)
    return texts, labels


def test_swedish_stems_and_stop_words():
    assert analyse("Tolken var inte bokad och tolkar saknades") == ["tolk", "bok", "tolk", "sakn"]


def test_texts_about_the_same_thing_go_together():
    texts, labels = labelled(400)
    # The default number of themes (one per 40 texts, at most 12): themes may split a subject
    # (a person names and merges them), but must not mix subjects.
    themes = suggest(texts)
    score = purity(labels, themes)
    print(f"renhet (purity) på 400 märkta texter: {score:.2f}, {len(themes)} teman")
    assert len(themes) <= 12
    assert score >= 0.9
    named = " | ".join(t.label for t in themes)
    assert "tolk" in named and "utbetal" in named, named


def test_fifty_thousand_texts_in_under_a_minute():
    texts, labels = labelled(50_000, seed=9)
    started = time.perf_counter()
    themes = suggest(texts)
    seconds = time.perf_counter() - started
    print(
        f"50 000 texter grupperade på {seconds:.1f} s i {len(themes)} teman, "
        f"renhet {purity(labels, themes):.2f}"
    )
    assert seconds < 60
    assert themes

"""Name forms and name similarity, shared by the Wikidata reconciler and the reconciliation service.

Historians' names reach us in many spellings: the edition's transliteration (Zinoviev), others
(Zinovyev, Sinowjew), Cyrillic, inverted with initials ('Bukharin, N. I.'), pseudonyms and real
names. Two mechanisms handle them:
  * `folded`: a comparison key that ignores script, case, accents and the usual differences between
    romanisation systems, so 'Зиновьев', 'Zinovyev' and 'ZINOVIEV' compare equal;
  * `spellings`: the forms a Russian name takes in other romanisations (iuliia's schemas), used to
    ask Wikidata for exact labels.
"""

from __future__ import annotations

import re
from functools import lru_cache

import iuliia
from anyascii import anyascii
from rapidfuzz import fuzz

# Latin romanisation systems Wikidata's English labels and aliases are written in.
SCHEMAS = (iuliia.WIKIPEDIA, iuliia.BGN_PCGN, iuliia.ICAO_DOC_9303, iuliia.GOST_52535)
# Differences between romanisation systems, folded away (applied in order, on lower-case ASCII).
RESPELLINGS = [
    (r"[’'`ʹʺ]", ""), (r"iy\b", "i"), (r"yy\b", "i"), (r"ii\b", "i"), (r"y\b", "i"), (r"ij\b", "i"),
    (r"kh", "h"), (r"zh", "j"), (r"x", "ks"), (r"w", "v"), (r"tz", "ts"), (r"sch", "sh"),
    (r"ye", "e"), (r"yo", "e"), (r"ya", "ia"), (r"yu", "iu"), (r"ja", "ia"), (r"ju", "iu"),
    (r"je", "e"), (r"ie", "e"), (r"iei", "ei"), (r"y", "i"), (r"j", "i"),
]


def plain(name: str) -> str:
    """ASCII, lower case, letters, spaces and dots only ('Зиновьев' → 'zinov'ev' → 'zinovev')."""
    return " ".join(re.sub(r"[^a-z\s.]", "", anyascii(name).lower().replace("-", " ")).replace(".", ". ").split())


@lru_cache(maxsize=65536)
def folded(name: str) -> str:
    """A comparison key: `plain`, with the differences between romanisation systems folded."""
    words = plain(name).split()
    if len(words) > 1 and all(len(w) == 2 and w.endswith(".") for w in words):   # O.G.P.U.
        words = ["".join(w[0] for w in words)]
    out = []
    for word in words:
        for pattern, repl in RESPELLINGS:
            word = re.sub(pattern, repl, word)
        if len(word) > 4:   # doubled letters (Kalmanovich ~ Kalmannovich), not in initials (TsKK)
            word = re.sub(r"(.)\1", r"\1", word)
        out.append(word)
    return " ".join(w for w in out if w.strip("."))


STOPWORDS = {"of", "the", "and", "for", "in", "on", "и", "по", "при", "de", "des", "du"}


def acronym(name: str) -> str | None:
    """The initials of a body's name, as abbreviations are made: 'Совет труда и обороны' → 'STO',
    'Центральный комитет ВКП(б)' → 'TsK VKP(b)'; None for a name of one word."""
    tokens, letters = [], ""
    for word in re.split(r"[\s-]+", name):
        if not word or word.lower() in STOPWORDS:
            continue
        if sum(c.isupper() for c in word) >= 2:      # already an abbreviation: kept as it is
            tokens += [letters, word] if letters else [word]
            letters = ""
        elif word[0].isalpha():
            letters += word[0].upper()
    tokens.append(letters)
    text = " ".join(t for t in tokens if t)
    return anyascii(text) if len(name.split()) > 1 and len(text.replace(" ", "")) > 1 else None


def similarity(a: str, b: str) -> float:
    """0–1: how alike two names are, word order and initials allowed for ('N. I. Bukharin' ~ 'Nikolai
    Ivanovich Bukharin')."""
    fa, fb = folded(a), folded(b)
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0
    score = fuzz.token_sort_ratio(fa, fb) / 100
    return max(score, _contained(fa.split(), fb.split()), _initials_match(fa, fb), _initials_match(fb, fa))


def _contained(a: list[str], b: list[str]) -> float:
    """One name's words all inside the other's, each word alike ('Sinowjew' in 'Zinoviev, G. Ye.';
    'Grigorii Zinoviev' in the full name with patronymic): close, never equal. A single-word form of
    ours inside a longer query ('Nikolai' in 'Yanson, Nikolai') does not count: a given name alone
    identifies nobody."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if all(len(w.rstrip(".")) == 1 for w in small) or not (small is a or len(small) >= 2):
        return 0.0
    worst = min(max(fuzz.ratio(w, x) for x in large) for w in small) / 100
    return 0.95 * worst if worst >= 0.8 else 0.0


def _initials_match(short: str, full: str) -> float:
    """'bukharin n. i.' against 'nikolai ivanovich bukharin': the family name equal and every
    initial the first letter of a given name, in order."""
    initials = [w.rstrip(".") for w in short.split() if w.endswith(".") or len(w) == 1]
    words = [w for w in short.split() if not (w.endswith(".") or len(w) == 1)]
    if not initials or len(words) != 1:
        return 0.0
    others = full.split()
    if words[0] not in others:
        return 0.0
    given = [w for w in others if w != words[0]]
    if len(given) < len(initials):
        return 0.0
    fits = all(g.startswith(i[:len(g)] if len(i) > 1 else i) or g[0] == i[0] for i, g in zip(initials, given))
    return 0.95 if fits else 0.0


def best_similarity(ours: list[str], theirs: list[str]) -> tuple[float, str, str]:
    """The closest pair of names between two lists: (score, our form, their form)."""
    best = (0.0, "", "")
    for a in ours:
        for b in theirs:
            s = similarity(a, b)
            if s > best[0]:
                best = (s, a, b)
    return best


def russian_forms(name_ru: str) -> list[str]:
    """'Бухарин Николай Иванович' in the orders Russian labels use: 'Николай Иванович Бухарин',
    'Николай Бухарин', 'Бухарин, Николай Иванович' and as given."""
    parts = name_ru.split()
    if len(parts) < 2:
        return [name_ru] if name_ru else []
    family, given = parts[0], parts[1:]
    return list(dict.fromkeys([" ".join([*given, family]), f"{given[0]} {family}",
                               f"{family}, {' '.join(given)}", name_ru]))


def spellings(name_ru: str, family_latin: str = "") -> list[str]:
    """English-label forms of a Russian name: 'Given Family' and 'Given Patronymic Family' in each
    romanisation system, and with our own spelling of the family name."""
    parts = name_ru.split()
    if len(parts) < 2:
        return []
    forms = []
    for schema in SCHEMAS:
        family, *given = schema.translate(" ".join(parts)).split()
        for fam in dict.fromkeys([family, family_latin] if family_latin else [family]):
            forms += [f"{given[0]} {fam}", " ".join([*given, fam])]
    return list(dict.fromkeys(forms))

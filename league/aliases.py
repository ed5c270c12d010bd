"""What makes a racer alias acceptable: the one rule that sign-up, renaming, the API and
the admin all apply (league.services.alias_errors asks it, then checks the database).

Two aliases are the same alias when they read the same: compared after Unicode NFKC
normalisation (full-width and compatibility forms become the plain ones, as Django does
for user names) and case folding, with the separators an alias may hold (space, ``_``,
``.``, ``:``, ``-``) left out, so that "Ｍａｘ Ｑ", "max-q" and "MaxQ" are one racer.
That folded form is stored (`Racer.alias_key`) under a unique constraint.

The prefixes the league writes itself are reserved: "House…" for the house drivers the
simulator ships ("House: Pure Pursuit") and "Deleted racer…" for the results of a
deleted account. Pure functions: no database here.
"""

from __future__ import annotations

import re
import unicodedata

MIN_LENGTH = 3
MAX_LENGTH = 40
# Stored keys: NFKC can lengthen a character (one ligature becomes several letters).
KEY_MAX_LENGTH = 200

SEPARATORS = " _.:-"
# Colons that NFKC leaves alone but that read as one ("House∶ Pure Pursuit").
COLON_LIKES = str.maketrans(dict.fromkeys("∶꞉˸︓﹕։׃", ":"))
HOUSE_PREFIX = "House: "
DELETED_PREFIX = "Deleted racer "
# The folded start of an alias that only the league may give: a word, then a separator.
RESERVED = re.compile(r"^(house|deleted\s*racer)[\s_.:\-]")
# Scripts whose letters are easily mistaken for Latin ones: "Drіft" with a Cyrillic i.
LOOKALIKE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


def alias_clean(alias: str) -> str:
    """The alias as it is stored and shown: NFKC, colon look-alikes as colons, runs of
    white space as one space, trimmed."""
    text = unicodedata.normalize("NFKC", alias or "").translate(COLON_LIKES)
    return " ".join(text.split())


def alias_key(alias: str) -> str:
    """The folded form two aliases share when they read the same."""
    folded = unicodedata.normalize("NFKC", alias_clean(alias).casefold())
    return "".join(ch for ch in folded if ch not in SEPARATORS and not ch.isspace())


def is_reserved(alias: str) -> bool:
    """An alias only the league gives: a house driver's or a deleted racer's."""
    return bool(RESERVED.match(alias_clean(alias).casefold()))


def _scripts(text: str) -> set[str]:
    scripts = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            scripts.add(name.split(" ", 1)[0] if name else "?")
    return scripts


def alias_problems(alias: str, *, house: bool = False) -> list[str]:
    """What is wrong with an alias on its own (not whether someone has it): length,
    characters, mixed look-alike scripts, a reserved prefix. `alias` as alias_clean
    returns it; `house`: the league's own house driver, who may use its prefix."""
    if not alias:
        return ["Choose a racer alias: the public name shown on leaderboards."]
    problems = []
    if not MIN_LENGTH <= len(alias) <= MAX_LENGTH:
        problems.append(
            f"An alias has {MIN_LENGTH} to {MAX_LENGTH} characters; this one has {len(alias)}."
        )
    bad = sorted({ch for ch in alias if not (ch.isalnum() or ch in SEPARATORS)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        problems.append(
            f"An alias holds letters, digits, spaces and '_', '.', ':' or '-' only; remove {shown}."
        )
    elif not (alias[0].isalnum() and (alias[-1].isalnum() or alias[-1] in "_.")):
        problems.append("An alias starts with a letter or digit and ends with one (or '_' or '.').")
    if len(_scripts(alias) & LOOKALIKE_SCRIPTS) > 1:
        problems.append(
            "An alias may not mix Latin, Cyrillic or Greek letters, which look alike; "
            "write it in one alphabet."
        )
    if not house and is_reserved(alias):
        problems.append(
            "Aliases starting with “House” or “Deleted racer” are the league's own (its house "
            "drivers and deleted accounts); choose another."
        )
    return problems


def deleted_alias(racer_id: int) -> str:
    """The alias a deleted racer's kept results show."""
    return f"{DELETED_PREFIX}{racer_id}"

"""Languages: the ISO 639-1 two-letter codes, from `pycountry` (never a hand-typed table).

Codes are kept upper-case, as the API's `LanguageCode` enum spells them (EN, DE, JA).
"""

from __future__ import annotations

import pycountry

__all__ = ["LANGUAGES", "language_name"]

# code -> English name, e.g. "DE" -> "German"; every ISO 639-1 language, in code order.
LANGUAGES: dict[str, str] = dict(sorted(
    (language.alpha_2.upper(), language.name) for language in pycountry.languages if hasattr(language, "alpha_2")))


def language_name(code: str) -> str:
    return LANGUAGES[code]

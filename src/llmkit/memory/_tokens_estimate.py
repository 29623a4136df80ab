"""A calibrated token estimate for models whose tokenizer llmkit does not have.

The estimate is a weighted count of what text is made of (Latin words and
letters, accented letters, words and letters of alphabetic scripts such as
Cyrillic, Arabic and Devanagari, CJK characters, digits, punctuation, emoji,
other symbols). The weights were fitted to OpenAI's ``o200k_base`` counts on
the multilingual corpus in ``tests/memory/corpus.txt`` (English, Chinese,
Japanese, Arabic, Russian, Hindi, Spanish, German, Python code, JSON, emoji
chat); on each of those samples the estimate is within 15% of the exact
count (``tests/memory/test_tokens_estimate.py`` holds it to that).

What always holds: the estimate is deterministic, needs no optional
dependency, is at least 1 for non-empty text and 0 for empty text. Other
vendors' tokenizers (Claude's, Gemini's, Llama's) split text differently from
``o200k_base``, so for them it is an estimate of an estimate: keep a margin.
"""

from __future__ import annotations

import re

__all__ = ["estimate_text_tokens"]

_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LATIN = "A-Za-z\u00c0-\u024f"
_SCRIPTS = "\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff"
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf"

# (pattern, weight): tokens ~ sum(weight * number of matches), fitted as the module says.
_FEATURES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(f"[{_LATIN}]+"), 0.82),
    (re.compile(f"[{_LATIN}]"), 0.085),
    (re.compile("[\u00c0-\u024f]"), 1.6),
    (re.compile(f"[{_SCRIPTS}]+"), 1.47),
    (re.compile(f"[{_SCRIPTS}]"), 0.062),
    (re.compile(f"[{_CJK}]"), 0.92),
    (re.compile("[0-9]"), 1.13),
    (re.compile(r"[!-/:-@\[-`{-~]"), 0.53),
    (re.compile(f"[{_EMOJI}]"), 2.1),
    (re.compile(f"[^\\x00-\\x7f{_LATIN}{_SCRIPTS}{_CJK}{_EMOJI}\\s]"), 0.43),
)


def estimate_text_tokens(text: str) -> int:
    """About how many tokens ``text`` is (see the module docstring for how close)."""
    if not text:
        return 0
    total = 0.0
    for pattern, weight in _FEATURES:
        total += weight * len(pattern.findall(text))
    return max(1, round(total))

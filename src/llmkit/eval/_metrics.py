"""The evaluation metrics that need no model: answer overlap, tool trajectory, schema validity.

Every score is a float from 0 to 1.

- :func:`token_f1`: the harmonic mean of precision and recall over shared
  tokens, after lower-casing and dropping punctuation and the articles
  a/an/the (the normalisation of the SQuAD evaluation);
- :func:`rouge1`: the ROUGE-1 F-measure, unigram overlap over words of letters
  and digits (no stemming, no stop-word removal);
- :func:`trajectory_score`: the share of expected tool calls found, in the
  set's order (see :func:`llmkit.testing.matchers.match_trajectory`);
- :func:`schema_errors`: why a value breaks a JSON schema (empty when valid).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from llmkit._optional import require
from llmkit._plural import plural
from llmkit.errors import UsageError
from llmkit.testing.matchers import ToolCallMatcher, match_trajectory
from llmkit.types import ToolCall

__all__ = ["overlap_f1", "rouge1", "schema_errors", "token_f1", "trajectory_score"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_WORD = re.compile(r"[^\W_]+")


def overlap_f1(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """F1 of the token multisets: 2PR/(P+R); 1 when both are empty, 0 when one is."""
    if not candidate or not reference:
        return 1.0 if not candidate and not reference else 0.0
    common = sum((Counter(candidate) & Counter(reference)).values())
    if common == 0:
        return 0.0
    precision = common / len(candidate)
    recall = common / len(reference)
    return 2 * precision * recall / (precision + recall)


def _squad_tokens(text: str) -> list[str]:
    text = text.lower().translate(_PUNCTUATION)
    return _ARTICLES.sub(" ", text).split()


def token_f1(candidate: str, reference: str) -> float:
    """Token F1 between an answer and a reference (SQuAD normalisation)."""
    return overlap_f1(_squad_tokens(candidate), _squad_tokens(reference))


def rouge1(candidate: str, reference: str) -> float:
    """The ROUGE-1 F-measure between an answer and a reference."""
    return overlap_f1(_WORD.findall(candidate.lower()), _WORD.findall(reference.lower()))


def trajectory_score(
    expected: Sequence[ToolCallMatcher], calls: Sequence[ToolCall], order: str
) -> tuple[float, str]:
    """The trajectory score and, when below 1, what was missing."""
    found = match_trajectory(expected, calls, lambda e, a: e.difference(a) is None, order)
    if found.ok:
        return 1.0, ""
    if found.missing:
        lost = ", ".join(expected[i].describe() for i in found.missing)
        return found.score, f"missing ({order}): {lost}"
    return found.score, f"{plural(len(calls), 'call')} where exactly {len(expected)} were expected"


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """What is wrong with ``value`` under the JSON schema ``schema`` (empty: valid)."""
    jsonschema: Any = require(
        "jsonschema", extra="eval", feature="Checking output against a JSON schema"
    )
    try:
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise UsageError(f"output_schema is not a valid JSON schema: {exc.message}.") from None
    validator = validator_cls(schema)
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message}")
    return problems

"""Evaluations: run a set of cases through an agent and score the answers.

::

    from llmkit.eval import assert_passed, evaluate_sync

    report = evaluate_sync("evals/support.yaml", model="openai/gpt-4.1-mini")
    print(report.table())
    assert_passed(report)             # AssertionError with the table if a threshold was missed

or ``llmkit eval evals/support.yaml --model openai/gpt-4.1-mini``. Metrics:
tool trajectory (exact, in order, any order), token F1 and ROUGE-1 against a
reference answer, JSON-schema validity of the output, and an LLM judge with a
rubric; a threshold per metric decides whether the set passes. Reading YAML
and checking schemas need the ``eval`` extra (``pip install 'llmkit[eval]'``).
"""

from __future__ import annotations

from llmkit.eval._cases import METRICS, EvalCase, EvalSet, load_eval_set
from llmkit.eval._judge import JudgeVerdict, judge_agent, judge_answer, judge_prompt
from llmkit.eval._metrics import rouge1, schema_errors, token_f1, trajectory_score
from llmkit.eval._report import CaseResult, EvalReport, MetricSummary, assert_passed
from llmkit.eval._runner import Progress, evaluate, evaluate_sync

__all__ = [
    "METRICS",
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "EvalSet",
    "JudgeVerdict",
    "MetricSummary",
    "Progress",
    "assert_passed",
    "evaluate",
    "evaluate_sync",
    "judge_agent",
    "judge_answer",
    "judge_prompt",
    "load_eval_set",
    "rouge1",
    "schema_errors",
    "token_f1",
    "trajectory_score",
]

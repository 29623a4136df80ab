"""Branches: the first case that holds, all_matches, otherwise, and the errors of predicates."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from llmkit.errors import NoBranchMatched, PredicateError
from llmkit.workflow import branch, sequence, step, when

pytestmark = pytest.mark.anyio


class Article(BaseModel):
    score: float = 0.0
    draft: str = ""
    approved: bool = False


def rewrite(state: Article) -> str:
    return "rewritten"


def publish(state: Article) -> bool:
    return True


async def test_the_first_case_that_holds_runs() -> None:
    flow = sequence(
        branch(
            when("score < 0.8", step(rewrite, output="draft")),
            when(lambda s: s.score < 0.9, step(lambda s: "other", name="other", output="draft")),
            otherwise=step(publish, output="approved"),
        ),
        name="article",
    )
    low = await flow.run(Article(score=0.5))
    assert low.state.draft == "rewritten" and not low.state.approved
    assert [r.path for r in low.trace] == ["article", "article/branch", "article/branch/rewrite"]
    middle = await flow.run(Article(score=0.85))
    assert middle.state.draft == "other"
    high = await flow.run(Article(score=0.95))
    assert high.state.approved and high.state.draft == ""


async def test_all_matches_runs_every_case_that_holds_in_order() -> None:
    flow = branch(
        when("n > 0", step(lambda s: "pos", name="pos")),
        when("n > 10", step(lambda s: "big", name="big")),
        when("n < 0", step(lambda s: "neg", name="neg")),
        all_matches=True,
        output="tags",
    )
    result = await sequence(flow, name="s").run({"n": 11})
    assert result.state["tags"] == ["pos", "big"]


async def test_no_match_and_no_otherwise() -> None:
    flow = sequence(
        step(lambda s: 0.91, name="score", output="score"),
        branch(when("score < 0.8", step(rewrite, output="draft"))),
        name="article",
    )
    with pytest.raises(NoBranchMatched) as info:
        await flow.run(Article())
    err = info.value
    assert str(err) == (
        "Branch 'article/branch' matched no case and has no otherwise: score < 0.8 was False "
        "(score=0.91); add otherwise=..."
    )
    assert err.path == "article/branch"
    assert err.state == Article(score=0.91)
    assert [(r.path, r.status) for r in err.trace][-1] == ("article/branch", "failed")


async def test_a_raising_predicate() -> None:
    def broken(state: Any) -> bool:
        return 1 / 0 > 0

    flow = sequence(
        step(lambda s: "d", name="first", output="draft"),
        branch(when(broken, step(rewrite, output="draft")), otherwise=step(publish)),
        name="article",
    )
    with pytest.raises(PredicateError) as info:
        await flow.run(Article())
    err = info.value
    assert "broken" in str(err) and "article/branch" in str(err)
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert err.state.draft == "d"

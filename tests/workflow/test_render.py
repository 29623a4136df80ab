"""Drawing workflows: tree() and to_mermaid() golden texts, for the article flow and every kind."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from llmkit import Agent
from llmkit.testing import TestModel
from llmkit.tools import tool
from llmkit.workflow import (
    CircuitBreaker,
    Retry,
    StepContext,
    Workflow,
    branch,
    loop,
    map_each,
    parallel,
    sequence,
    step,
    when,
)


class Article(BaseModel):
    topic: str = ""
    notes: str = ""
    reviews: list[str] = []
    score: float = 0.0
    draft: str = ""
    approved: bool = False


def agent(name: str) -> Agent[str]:
    return Agent(TestModel(), name=name)


def score(state: Article) -> float:
    return 0.5


def article() -> Workflow:
    return sequence(
        step(agent("researcher"), input="topic", output="notes"),
        parallel(
            agent("critic_a"), agent("critic_b"), output="reviews", max_concurrency=4, timeout=60
        ),
        step(score, output="score"),
        branch(
            when("score < 0.8", step(agent("rewriter"), output="draft")),
            otherwise=agent("publisher"),
        ),
        loop(agent("editor"), until="approved", max_iterations=3),
        name="article",
    )


@tool
def lookup(q: str) -> str:
    """Look a word up."""
    return q


class Echo:
    name = "echo"

    async def run(self, input: Any, context: StepContext) -> Any:
        return input


def pick(state: Any) -> Any:
    return state


def fix(state: Any, context: StepContext) -> Any:
    return state


def cached(state: Any) -> str:
    return "cached"


def everything() -> Workflow:
    inner = sequence(pick, fix, name="inner")
    return sequence(
        step(
            agent("writer"),
            retry=Retry(attempts=3),
            breaker=CircuitBreaker("openai"),
            fallback=cached,
            output="draft",
        ),
        step(lookup, input=lambda s: {"q": s["topic"]}),
        Echo(),
        step(pick, thread=True, timeout=2.5, on_error="skip"),
        parallel(pick, fix, merge="first", errors="collect", name="race"),
        parallel(pick, fix, merge=lambda outputs: outputs[0], name="combined"),
        branch(when(lambda s: s["n"] > 1, pick), when('"a" in tags', fix), all_matches=True),
        branch(when("n == 0", pick), name="only"),
        loop(pick, while_="n < 3", delay=0.5, collect=True, break_on_error=True, name="w"),
        loop(pick, count=2, name="c"),
        loop(pick, max_duration=30, name="d"),
        map_each(inner, over="chapters", max_concurrency=4, errors="collect", output="summaries"),
        step(inner, name="nested", retry=Retry(attempts=2, backoff="constant")),
        sequence(name="empty"),
        name="everything",
    )


ARTICLE_TREE = """\
article (sequence)
├── researcher (agent) input=topic -> notes
├── reviews (parallel, max 4, timeout 60 s) -> reviews
│   ├── [0] critic_a (agent)
│   └── [1] critic_b (agent)
├── score (function) -> score
├── branch (branch)
│   ├── when score < 0.8: rewriter (agent) -> draft
│   └── otherwise: publisher (agent)
└── loop (loop, until approved, max 3)
    └── editor (agent)"""

ARTICLE_MERMAID = """\
flowchart TD
    subgraph n0["article<br/>sequence"]
        n1["researcher<br/>agent"]
        n2{{"reviews<br/>parallel"}}
        n3["critic_a<br/>agent"]
        n2 --> n3
        n4["critic_b<br/>agent"]
        n2 --> n4
        n2_join{{"join"}}
        n3 --> n2_join
        n4 --> n2_join
        n1 --> n2
        n5["score<br/>function"]
        n2_join --> n5
        n6{"score #lt; 0.8"}
        n7["rewriter<br/>agent"]
        n6 -- yes --> n7
        n6_join((" "))
        n8["publisher<br/>agent"]
        n6 -- otherwise --> n8
        n7 --> n6_join
        n8 --> n6_join
        n5 --> n6
        subgraph n9["loop<br/>until approved, max 3"]
            n10["editor<br/>agent"]
            n10 -->|"until approved"| n10
        end
        n6_join --> n10
    end"""

EVERYTHING_TREE = """\
everything (sequence)
├── writer (agent) -> draft [retry 3 exponential, breaker openai]
│   └── fallback: cached (function)
├── lookup (tool) input=<lambda>
├── echo (step)
├── pick (function, thread, timeout 2.5 s) [on_error skip]
├── race (parallel, first wins, collect errors)
│   ├── [0] pick (function)
│   └── [1] fix (function)
├── combined (parallel, merge <lambda>)
│   ├── [0] pick (function)
│   └── [1] fix (function)
├── branch (branch, all matches)
│   ├── when <lambda>: pick (function)
│   └── when "a" in tags: fix (function)
├── only (branch)
│   └── when n == 0: pick (function)
├── w (loop, while n < 3, delay 0.5 s, collect, break on error)
│   └── pick (function)
├── c (loop, 2 times)
│   └── pick (function)
├── d (loop, max 30 s)
│   └── pick (function)
├── summaries (map over chapters, max 4, collect errors) -> summaries
│   └── inner (sequence)
│       ├── pick (function)
│       └── fix (function)
├── nested (workflow) [retry 2 constant]
│   └── inner (sequence)
│       ├── pick (function)
│       └── fix (function)
└── empty (sequence)"""

EVERYTHING_MERMAID = """\
flowchart TD
    subgraph n0["everything<br/>sequence"]
        n1["writer<br/>agent"]
        n2["cached<br/>function"]
        n1 -.->|fallback| n2
        n3["lookup<br/>tool"]
        n1 --> n3
        n2 --> n3
        n4["echo<br/>step"]
        n3 --> n4
        n5["pick<br/>function"]
        n4 --> n5
        n6{{"race<br/>parallel"}}
        n7["pick<br/>function"]
        n6 --> n7
        n8["fix<br/>function"]
        n6 --> n8
        n6_join{{"join"}}
        n7 --> n6_join
        n8 --> n6_join
        n5 --> n6
        n9{{"combined<br/>parallel"}}
        n10["pick<br/>function"]
        n9 --> n10
        n11["fix<br/>function"]
        n9 --> n11
        n9_join{{"join"}}
        n10 --> n9_join
        n11 --> n9_join
        n6_join --> n9
        n12{"#lt;lambda#gt;"}
        n12_1{"#quot;a#quot; in tags"}
        n13["pick<br/>function"]
        n12 -- yes --> n13
        n12 -- no --> n12_1
        n13 --> n12_1
        n14["fix<br/>function"]
        n12_1 -- yes --> n14
        n12_join((" "))
        n12_1 -- no --> n12_join
        n14 --> n12_join
        n9_join --> n12
        n15{"n == 0"}
        n16["pick<br/>function"]
        n15 -- yes --> n16
        n15_join((" "))
        n15 -- no --> n15_join
        n16 --> n15_join
        n12_join --> n15
        subgraph n17["w<br/>while n #lt; 3, delay 0.5 s, collect, break on error"]
            n18["pick<br/>function"]
            n18 -->|"while n #lt; 3"| n18
        end
        n15_join --> n18
        subgraph n19["c<br/>2 times"]
            n20["pick<br/>function"]
            n20 -->|"2 times"| n20
        end
        n18 --> n20
        subgraph n21["d<br/>max 30 s"]
            n22["pick<br/>function"]
            n22 -->|"for at most 30 s"| n22
        end
        n20 --> n22
        n23[["map inner over chapters"]]
        subgraph n24["inner<br/>sequence"]
            n25["pick<br/>function"]
            n26["fix<br/>function"]
            n25 --> n26
        end
        n23 --> n25
        n23_join{{"join"}}
        n26 --> n23_join
        n22 --> n23
        subgraph n27["nested<br/>workflow"]
            subgraph n28["inner<br/>sequence"]
                n29["pick<br/>function"]
                n30["fix<br/>function"]
                n29 --> n30
            end
        end
        n23_join --> n29
        n31(["empty<br/>sequence"])
        n30 --> n31
    end"""


def test_the_article_flow_as_a_tree() -> None:
    assert article().tree() == ARTICLE_TREE


def test_the_article_flow_as_a_mermaid_flowchart() -> None:
    assert article().to_mermaid() == ARTICLE_MERMAID


def test_every_kind_and_option_as_a_tree() -> None:
    assert everything().tree() == EVERYTHING_TREE


def test_every_kind_and_option_as_a_mermaid_flowchart() -> None:
    assert everything().to_mermaid() == EVERYTHING_MERMAID


def test_a_single_step_draws_as_one_line_and_one_node() -> None:
    flow = step(pick, input="topic", output="picked", state=Article)
    assert flow.tree() == "pick (function) state=Article input=topic -> picked"
    assert flow.to_mermaid() == 'flowchart TD\n    n0["pick<br/>function"]'


def test_a_branch_without_cases_and_a_loop_bounded_by_iterations_alone() -> None:
    flow = sequence(
        branch(otherwise=pick, name="fallthrough"),
        loop(fix, max_iterations=2, name="twice"),
        name="s",
    )
    assert flow.tree() == (
        "s (sequence)\n"
        "├── fallthrough (branch)\n"
        "│   └── otherwise: pick (function)\n"
        "└── twice (loop, max 2)\n"
        "    └── fix (function)"
    )
    chart = flow.to_mermaid()
    assert '    n1{"fallthrough"}\n' in chart
    assert "n1 -- otherwise --> n2" in chart
    assert '-->|"at most 2 times"| n4' in chart


def test_mermaid_ids_follow_the_pre_order_of_the_tree() -> None:
    chart = everything().to_mermaid()
    declared = re.findall(r"^\s*(?:subgraph )?(n\d+)\b(?!_)", chart, flags=re.M)
    first = list(dict.fromkeys(declared))
    assert first == [f"n{i}" for i in range(32)]


def test_labels_cannot_break_the_chart() -> None:
    flow = sequence(
        branch(when('title == "<b>#1</b>"', pick), name="quoted"),
        name="q",
    )
    chart = flow.to_mermaid()
    assert 'n1{"title == #quot;#lt;b#gt;#35;1#lt;/b#gt;#quot;"}' in chart
    assert flow.tree().splitlines()[2] == '    └── when title == "<b>#1</b>": pick (function)'


def test_drawing_runs_nothing() -> None:
    calls: list[str] = []

    def counted(state: Any) -> None:
        calls.append("ran")

    flow = sequence(counted, branch(when(lambda s: calls.append("when"), counted)), name="s")
    flow.tree()
    flow.to_mermaid()
    assert calls == []

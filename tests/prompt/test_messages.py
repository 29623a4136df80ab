"""Prompt.messages: system, few-shot examples and user turns rendered to Messages."""

from __future__ import annotations

import pytest

from llmkit.errors import UsageError
from llmkit.prompt import MissingVariableError, Prompt
from llmkit.types import Message


def test_turns_render_in_order_with_the_same_values() -> None:
    chat = Prompt.messages(
        system="You are {{ role }}.",
        examples=[("2+2?", "4"), ("{{ unit }} in a km?", "1000")],
        user="{{ question }}",
    )
    messages = chat.render(role="a tutor", unit="metres", question="3+3? {{ not a tag }}")
    assert messages == [
        Message.system("You are a tutor."),
        Message.user("2+2?"),
        Message.assistant("4"),
        Message.user("metres in a km?"),
        Message.assistant("1000"),
        Message.user("3+3? {{ not a tag }}"),
    ]


def test_only_the_turns_given_are_rendered() -> None:
    assert Prompt.messages(user="Hi {{ n }}").render(n=1) == [Message.user("Hi 1")]
    assert Prompt.messages(system="S").render() == [Message.system("S")]


def test_a_missing_value_names_the_turn() -> None:
    chat = Prompt.messages(system="ok", examples=[("q", "{{ answer }}")], name="quiz")
    with pytest.raises(MissingVariableError) as caught:
        chat.render()
    assert caught.value.template == "quiz.examples[0].assistant"
    assert caught.value.variable == "answer"


def test_variables_given_in_advance() -> None:
    chat = Prompt.messages(system="You are {{ role }}.", variables={"role": "brief"})
    assert chat.render() == [Message.system("You are brief.")]


@pytest.mark.parametrize(
    "examples", [["2+2?"], [("2+2?",)], [("q", 4)], "q"], ids=["str", "single", "int", "text"]
)
def test_examples_must_be_pairs_of_text(examples: object) -> None:
    with pytest.raises(UsageError, match=r"\(user, assistant\) pairs"):
        Prompt.messages(examples=examples)  # type: ignore[arg-type]

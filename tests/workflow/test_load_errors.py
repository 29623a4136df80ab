"""Every mistake a definition can hold is refused at load, with its file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmkit import Agent
from llmkit.testing import TestModel
from llmkit.workflow import WorkflowDefinitionError, load, loads

ARTICLE = """\
name: article
state: Article
steps:
  - agent: researcher
    input: topic
    output: notes
  - function: score
    output: score
  - branch:
      - when: "score < 0.8"
        then:
          paralel:
            - {agent: researcher}
"""


class Article(BaseModel):
    topic: str = ""
    notes: str = ""
    score: float = 0.0
    approved: bool = False


def _score(state: Any) -> float:
    return 1.0


def _registry() -> dict[str, object]:
    return {
        "researcher": Agent(TestModel(), name="researcher"),
        "critic": Agent(TestModel(), name="critic"),
        "score": _score,
        "Article": Article,
    }


def _refused(
    text: str, *, name: str = "article.yaml", format: str = "yaml", **registry: object
) -> WorkflowDefinitionError:
    with pytest.raises(WorkflowDefinitionError) as caught:
        loads(text, format=format, registry=registry or _registry(), name=name)  # type: ignore[arg-type]  # format is a str here
    error = caught.value
    assert error.file == name and error.state is None  # no run started, nothing computed
    assert str(error).startswith(name)  # syntax errors keep the reader's wording
    return error


def _steps(*lines: str) -> str:
    """A definition with ``lines`` under steps: (the first step on line 3)."""
    return "name: article\nsteps:\n" + "".join(f"{line}\n" for line in lines)


def test_unknown_kind_with_line_and_suggestion() -> None:
    error = _refused(ARTICLE)
    assert str(error) == (
        "article.yaml, line 12: unknown step kind 'paralel' (known: agent, branch, function, "
        "loop, map, parallel, sequence, step, tool, use); did you mean 'parallel'?"
    )
    assert error.line == 12


def test_unregistered_agent_lists_the_registered_ones() -> None:
    error = _refused(_steps("  - {agent: researcher}", "  - {agent: reseacher}"))
    assert error.line == 4
    assert "agent: 'reseacher' is not registered (registered agents: critic, researcher)" in str(
        error
    )
    assert str(error).endswith("did you mean 'researcher'?")


def test_unregistered_names_list_at_most_twenty() -> None:
    many: dict[str, Any] = {f"f{i:02}": _score for i in range(25)}
    error = _refused(_steps("  - {function: nothing}"), **many)
    assert "registered functions: f00, f01," in str(error) and "f19, ..." in str(error)
    assert "f20" not in str(error)


def test_name_of_the_wrong_kind() -> None:
    error = _refused(_steps("  - {agent: score}"))
    assert str(error) == (
        "article.yaml, line 3: agent: 'score' is registered as a function, not an agent"
    )
    error = _refused(_steps("  - {function: researcher}"))
    assert "'researcher' is registered as an agent, not a function" in str(error)
    error = "state: score\n"
    assert "registered as a function, not a state model" in str(
        _refused("name: a\nstate: score\nsteps: []\n")
    )


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("__import__('os')", "__import__(...) is not an allowed function"),
        ("().__class__", "'.__class__' is not allowed"),
        ("[x for x in y]", "a comprehension is not allowed"),
        ("lambda: 1", "a lambda is not allowed"),
        ("open('f')", "open(...) is not an allowed function (known: abs, len,"),
        ("a._b", "'._b' is not allowed"),
    ],
)
def test_unsafe_predicates_are_refused(expression: str, why: str) -> None:
    text = _steps(
        "  - branch:",
        f"      - when: {json.dumps(expression)}",
        "        then: {agent: researcher}",
    )
    error = _refused(text)
    assert error.line == 4
    assert str(error).startswith(
        f"article.yaml, line 4: the predicate {expression!r} is not allowed: "
    )
    assert why in str(error)


def test_an_unparsable_input_expression_is_refused() -> None:
    error = _refused(_steps("  - {agent: researcher, input: 'topic +'}"))
    assert error.line == 3 and "input: 'topic +' is not allowed" in str(error)


def test_unknown_option() -> None:
    error = _refused(
        _steps("  - map: {agent: researcher}", "    over: notes", "    max_concurency: 2")
    )
    assert str(error) == (
        "article.yaml, line 5: unknown option 'max_concurency' for a map step (its options: "
        "name, input, output, state, retry, breaker, timeout, on_error, fallback, over, "
        "max_concurrency, errors); did you mean 'max_concurrency'?"
    )
    error = _refused(_steps("  - {agent: researcher, thread: true}"))
    assert "line 3: unknown option 'thread' for an agent step (its options: name," in str(error)


def test_two_kinds_in_one_node() -> None:
    error = _refused(_steps("  - agent: researcher", "    function: score"))
    assert str(error) == (
        "article.yaml, line 4: a step has one kind key; this one has 'agent' and 'function': "
        "make them two steps"
    )


def test_a_node_without_a_kind() -> None:
    error = _refused(_steps("  - output: notes"))
    assert error.line == 3 and "a step needs a kind key" in str(error)
    assert "this one has only options: output" in str(error)
    error = _refused(_steps("  - researcher"))
    assert "a step is a mapping with one kind key" in str(error) and "the text 'researcher'" in str(
        error
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max_concurrency: -1", "max_concurrency: takes a whole number, 1 or more; not -1"),
        ("max_concurrency: 2.5", "max_concurrency: takes a whole number, 1 or more; not 2.5"),
        ("timeout: '60'", "timeout: takes a number of seconds, more than 0; not the text '60'"),
        ("timeout: 0", "timeout: takes a number of seconds, more than 0; not 0"),
        ("on_error: ignore", "on_error: is one of raise, skip, continue; not the text 'ignore'"),
        ("errors: collected", "errors: is one of fail_fast, collect; not the text 'collected'"),
        ("merge: some", "merge: is one of all, first; not the text 'some'"),
        ("output: 3", "output: takes the name of a state field, e.g. output: notes; not 3"),
        ("name: a/b", "Step name 'a/b' may not contain '/'"),
        ("name: 7", "name: takes text, not 7"),
        ("retry: {attempts: 0}", "attempts: takes a whole number, 1 or more; not 0"),
        ("retry: {backoff: fast}", "backoff: is one of exponential, linear, constant;"),
        ("retry: {tries: 3}", "retry: has no option 'tries'"),
        ("retry: 3", "retry: takes a mapping (attempts, backoff, delay, max_delay, jitter, on)"),
        ("input: 3", "input: takes an expression such as 'score < 0.8' or {function: name}"),
    ],
)
def test_bad_value_types(line: str, message: str) -> None:
    error = _refused(_steps("  - parallel: [{agent: researcher}, {agent: critic}]", f"    {line}"))
    assert error.line == 4, str(error)
    assert message in str(error)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("count: 1.5",), "count: takes a whole number, 0 or more; not 1.5"),
        (
            ("count: 2", "until: done"),
            "a loop takes one of while:, until: or count:, not count: and until:",
        ),
        (("delay: -1", "count: 1"), "delay: takes a number of seconds, 0 or more; not -1"),
        (("collect: yes", "count: 1"), "collect: takes true or false, not the text 'yes'"),
    ],
)
def test_bad_loop_options(lines: tuple[str, ...], message: str) -> None:
    error = _refused(_steps("  - loop: {agent: researcher}", *(f"    {x}" for x in lines)))
    assert message in str(error)
    assert error.line == (5 if "until" in message else 4)


def test_a_loop_without_an_end_and_a_map_without_over() -> None:
    error = _refused(_steps("  - loop: {agent: researcher}"))
    assert error.line == 3 and "a loop needs an end" in str(error)
    error = _refused(_steps("  - map: {agent: researcher}"))
    assert error.line == 3 and "a map step needs over:" in str(error)


def test_a_case_needs_when_and_then() -> None:
    error = _refused(_steps("  - branch:", "      - {when: notes}"))
    assert error.line == 4 and "then: is missing" in str(error)
    error = _refused(_steps("  - branch:", "      - {when: notes, do: {agent: critic}}"))
    assert "a case: has no option 'do'" in str(error)


def test_unknown_breaker_key() -> None:
    text = "name: a\nbreakers:\n  openai: {}\nsteps:\n  - {agent: researcher, breaker: opena}\n"
    error = _refused(text)
    assert error.line == 5
    assert (
        "breaker: 'opena' is not defined; add it under breakers: at the top (defined: openai)"
        in str(error)
    )
    error = _refused("name: a\nbreakers:\n  openai: {probes: 0}\nsteps: []\n")
    assert error.line == 3 and "probes: takes a whole number, 1 or more; not 0" in str(error)


def test_unknown_error_name_in_on() -> None:
    text = "name: a\nretry:\n  attempts: 2\n  on: [RateLimitError, ServerErorr]\nsteps: []\n"
    error = _refused(text)
    assert str(error) == (
        "article.yaml, line 4: on: 'ServerErorr' names no exception class: it is not in the "
        "registry, in llmkit.errors or among Python's builtin exceptions; did you mean "
        "'ServerError'?"
    )
    error = _refused("name: a\nretry: {on: [score]}\nsteps: []\n")
    assert "'score' is registered as a function, not an exception class" in str(error)


def test_newer_format() -> None:
    error = _refused("llmkit_workflow: 2\nname: a\nsteps: []\n")
    assert str(error) == (
        "article.yaml, line 1: this definition was written for a newer llmkit (format 2; this "
        "llmkit reads format 1): upgrade llmkit to load it"
    )
    error = _refused("name: a\nllmkit_workflow: one\nsteps: []\n")
    assert error.line == 2 and "llmkit_workflow: takes the format number, 1" in str(error)


def test_top_level_mistakes() -> None:
    error = _refused("name: a\nstep: []\n")
    assert error.line == 2 and "unknown top-level key 'step'" in str(error)
    assert str(error).endswith("did you mean 'steps'?")
    error = _refused("steps: []\n")
    assert error.line == 1 and "needs name:" in str(error)
    error = _refused("name: a\nsteps: []\nflow: {agent: critic}\n")
    assert error.line == 3 and "not both" in str(error)
    error = _refused("name: a\n")
    assert "and has neither" in str(error)
    error = _refused("- name: a\n")
    assert error.line == 1 and "a workflow definition is a mapping" in str(error)
    error = _refused("name: a\ntimeout: 3\nflow:\n  agent: critic\n  timeout: 4\n")
    assert error.line == 5 and "timeout: is set at the top and in flow:; set it once" in str(error)


def test_yaml_syntax_error_line() -> None:
    error = _refused("name: a\nsteps:\n  - {agent: critic\n  - {agent: researcher}\n")
    assert error.line == 4
    assert str(error).startswith("article.yaml is not valid YAML:")


def test_yaml_size_and_alias_refusals_keep_their_messages(yaml_bomb: str) -> None:
    error = _refused(yaml_bomb)
    assert "is refused as YAML" in str(error) and "alias" in str(error)


def test_json_definition_errors_have_lines() -> None:
    text = json.dumps(
        {"name": "a", "steps": [{"agent": "critic"}, {"agent": "critic", "timeout": "60"}]},
        indent=2,
    )
    error = _refused(text, name="article.json", format="json")
    assert error.line == text.splitlines().index('      "timeout": "60"') + 1
    error = _refused('{"name": "a",\n "steps": [}', name="article.json", format="json")
    assert error.line == 2 and str(error).startswith("article.json is not valid JSON:")


def test_unknown_field_with_declared_state() -> None:
    text = _steps(
        "  - {agent: researcher, output: notes}",
        "  - branch:",
        "      - {when: 'scroe < 0.8', then: {agent: critic}}",
    ).replace("steps:", "state: Article\nsteps:")
    error = _refused(text)
    assert error.line == 5 and error.path == "article/branch"
    assert "names 'scroe', which the state does not have (its fields: approved, notes," in str(
        error
    )
    error = _refused(
        _steps("  - {agent: researcher, output: note}").replace("steps:", "state: Article\nsteps:")
    )
    assert error.line == 4 and "writes its output to 'note'" in str(error)


def test_a_workflow_that_uses_itself_is_refused_with_its_line() -> None:
    text = "name: top\nsteps: [{use: a}]\nworkflows:\n  a: {sequence: [{use: a}]}\n"
    error = _refused(text, name="flows.yaml")
    assert str(error) == "flows.yaml, line 4: workflow 'a' contains itself: a -> a"


def test_mutual_use_is_a_cycle() -> None:
    text = (
        "name: top\n"
        "steps: [{use: a}]\n"
        "workflows:\n"
        "  a: {sequence: [{use: b}]}\n"
        "  b: {sequence: [{use: a}]}\n"
    )
    error = _refused(text, name="flows.yaml")
    assert str(error) == "flows.yaml, line 4: workflow 'a' contains itself: a -> b -> a"
    assert error.line == 4 and error.state is None


def test_use_of_an_unknown_workflow() -> None:
    error = _refused(_steps("  - {use: reviw}") + "workflows:\n  review: {agent: critic}\n")
    assert error.line == 3
    assert "use: no workflow is named 'reviw' (workflows: review)" in str(error)
    assert str(error).endswith("did you mean 'review'?")


def test_duplicate_names_name_the_line() -> None:
    text = _steps(
        "  - {agent: researcher}",
        "  - {agent: critic}",
        "  - {function: score}",
        "  - {agent: critic}",
    )
    error = _refused(text)
    assert error.line == 6 and error.path == "article/critic"
    assert '"article/critic" twice (steps 2 and 4 of article); pass name=...' in str(error)
    error = _refused(
        _steps(
            "  - branch:",
            "      - {when: notes, then: {agent: critic}}",
            "    otherwise: {agent: critic}",
        )
    )
    assert error.line == 5 and "(cases 1 and 2 of article/branch)" in str(error)


def test_colliding_outputs_name_the_line() -> None:
    text = _steps(
        "  - parallel:",
        "      - {agent: researcher, output: notes}",
        "      - {agent: critic, output: notes}",
    )
    error = _refused(text)
    assert error.line == 5 and error.path == "article/parallel[1]/critic"
    assert (
        "article/parallel[0]/researcher and article/parallel[1]/critic both write 'notes'"
        in str(error)
    )


def test_a_file_refused_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "article.yaml"
    path.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(WorkflowDefinitionError) as caught:
        load(path, registry=_registry())
    assert caught.value.file == str(path) and caught.value.line == 12
    assert str(caught.value).startswith(f"{path}, line 12: unknown step kind 'paralel'")
    assert path.read_text(encoding="utf-8") == ARTICLE

"""Prompt: rendering, brace safety, strictness, the sandbox, errors and their places."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmkit.errors import UsageError
from llmkit.prompt import (
    MissingVariableError,
    Prompt,
    PromptNotFoundError,
    PromptSandboxError,
    PromptSyntaxError,
)

# Text a user may send that other frameworks' templates interpret: every Jinja delimiter,
# Python's format braces, and delimiters that would close or open a tag around a value.
CORPUS = [
    "{",
    "}",
    "{}",
    "{{",
    "}}",
    "{{ x }}",
    "{{ ''.__class__ }}",
    "{%",
    "%}",
    "{% if x %}yes{% endif %}",
    "{% include '../../etc/passwd' %}",
    "{#",
    "#}",
    "{# comment #}",
    "{0}",
    "{name}",
    "{{{{}}}}",
    "{% raw %}",
    "{% endraw %}",
    '{"json": {"nested": [1, 2, {"a": "}}"}]}}',
    "{{ text }} {{ text }}",
    "\\{\\{ escaped \\}\\}",
    "line one\n{% for i in range(3) %}\n{{ i }}\n{% endfor %}\n",
    "",
    "\n",
    "   {{-   -}}   ",
]


@pytest.mark.parametrize("text", CORPUS)
def test_a_value_with_template_syntax_renders_as_written(text: str) -> None:
    prompt = Prompt("Summarise for {{ audience }}:\n{{ text }}")
    assert prompt.render(audience="kids", text=text) == f"Summarise for kids:\n{text}"


@settings(max_examples=300, deadline=None)
@given(text=st.text(), braces=st.text(alphabet="{}%#-+ \n'\"x"))
def test_any_value_renders_as_written(text: str, braces: str) -> None:
    prompt = Prompt("A {{ a }} B {{ b }} C")
    assert prompt.render(a=text, b=braces) == f"A {text} B {braces} C"


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.text(alphabet="{}%#x \n"), min_size=1, max_size=5),
)
def test_values_in_a_loop_render_as_written(values: list[str]) -> None:
    prompt = Prompt("{% for v in values %}[{{ v }}]{% endfor %}")
    assert prompt.render(values=values) == "".join(f"[{v}]" for v in values)


def test_conditionals_loops_and_filters() -> None:
    prompt = Prompt(
        "{% if items %}\nItems:\n{% for item in items %}\n- {{ item.name | upper }}\n"
        "{% endfor %}\n{% else %}\nNothing.\n{% endif %}\n"
    )
    assert prompt.render(items=[{"name": "tea"}, {"name": "milk"}]) == "Items:\n- TEA\n- MILK\n"
    assert prompt.render(items=[]) == "Nothing.\n"


def test_variables_given_in_advance_and_bound_later() -> None:
    prompt = Prompt("{{ greeting }}, {{ name }}.", variables={"greeting": "Hello"})
    assert prompt.render(name="Ada") == "Hello, Ada."
    assert prompt.render(name="Ada", greeting="Hi") == "Hi, Ada."
    bound = prompt.bind(name="Grace")
    assert bound.render() == "Hello, Grace."
    assert prompt.variables == {"greeting": "Hello"}  # the original is unchanged


def test_a_missing_variable_is_an_error_naming_it_the_template_and_the_line() -> None:
    prompt = Prompt("Hello\n{{ name }}", name="greeting")
    with pytest.raises(MissingVariableError) as caught:
        prompt.render()
    error = caught.value
    assert (error.variable, error.template, error.line, error.file) == ("name", "greeting", 2, None)
    assert "'name' is undefined" in str(error)
    assert "'greeting'" in str(error)
    assert isinstance(error, UsageError)


def test_a_missing_attribute_is_an_error_too_never_empty_text() -> None:
    with pytest.raises(MissingVariableError) as caught:
        Prompt("Dear {{ user.name }}").render(user={"id": 1})
    assert caught.value.variable == "name"


def test_an_optional_value_can_be_tested_or_defaulted() -> None:
    prompt = Prompt("{% if note is defined %}{{ note }}{% endif %}|{{ tone | default('plain') }}")
    assert prompt.render() == "|plain"
    assert prompt.render(note="n", tone="warm") == "n|warm"


def test_a_syntax_error_is_raised_when_the_prompt_is_made() -> None:
    with pytest.raises(PromptSyntaxError) as caught:
        Prompt("one\n{{ a + }}\nthree", name="broken")
    assert caught.value.line == 2
    assert "The template 'broken' (line 2) does not parse" in str(caught.value)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ text | attr('__class__') }}",
        "{{ '{0.__class__}'.format(text) }}",
        "{{ items.append(1) }}",
        "{{ mapping.update(a=1) }}",
        "{% for i in range(10 ** 7) %}{% endfor %}",
    ],
)
def test_the_sandbox_refuses_with_a_typed_error(template: str) -> None:
    items: list[int] = []
    mapping: dict[str, int] = {}
    with pytest.raises(PromptSandboxError) as caught:
        Prompt(template).render(text="t", items=items, mapping=mapping)
    assert caught.value.line == 1
    assert items == [] and mapping == {}  # nothing the template was given was changed


def test_a_string_prompt_without_a_directory_includes_nothing() -> None:
    with pytest.raises(PromptNotFoundError, match="no directory"):
        Prompt("{% include 'x.md' %}").render()


def test_an_error_raised_by_a_value_s_own_code_is_kept_with_a_note() -> None:
    class Customer:
        @property
        def name(self) -> str:
            raise LookupError("database down")

    with pytest.raises(LookupError, match="database down") as caught:
        Prompt("Hi {{ c.name }}", name="hi").render(c=Customer())
    assert any("'hi'" in note for note in caught.value.__notes__)


def test_values_never_reach_the_repr_or_the_message() -> None:
    secret = "sk-secret-123"
    prompt = Prompt("{{ key }} {{ other }}", variables={"key": secret})
    assert secret not in repr(prompt)
    with pytest.raises(MissingVariableError) as caught:
        prompt.render()
    assert secret not in str(caught.value)


def test_errors_keep_their_places_across_pickling() -> None:
    with pytest.raises(MissingVariableError) as caught:
        Prompt("\n{{ gone }}", name="p").render()
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is MissingVariableError
    assert (copy.variable, copy.template, copy.line, str(copy)) == (
        "gone",
        "p",
        2,
        str(caught.value),
    )


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="str"):
        Prompt(42)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="mapping"):
        Prompt("x", variables=[("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no directory"):
        Prompt("x", directory="/no/such/dir")

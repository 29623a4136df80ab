"""Chunking: sizes, boundaries, overlap, offsets, and markdown sections."""

from __future__ import annotations

import itertools

import pytest

from llmkit.errors import UsageError
from llmkit.memory import Chunk, chunk_markdown, chunk_text

PROSE = (
    "The first paragraph is short.\n\n"
    "The second paragraph has two sentences. It goes on a little longer than the first.\n\n"
    "The third one closes."
)


def test_chunks_are_slices_of_the_source_within_the_size() -> None:
    chunks = chunk_text(PROSE, size=60, overlap=0)
    assert all(len(c.text) <= 60 for c in chunks)
    for c in chunks:
        assert PROSE[c.start : c.start + len(c.text)] == c.text
    # Cut at paragraphs first, then sentences.
    assert chunks[0].text == "The first paragraph is short."
    assert chunks[1].text == "The second paragraph has two sentences."
    assert chunks[-1].text == "The third one closes."


def test_a_short_text_is_one_chunk_and_blank_text_none() -> None:
    assert chunk_text("One line.") == [Chunk("One line.", 0)]
    assert chunk_text("  \n\n ") == []


def test_consecutive_chunks_overlap_by_whole_words() -> None:
    text = " ".join(f"w{i}" for i in range(40))
    chunks = chunk_text(text, size=30, overlap=10)
    assert len(chunks) > 2
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.start + len(a.text)  # they share text
        shared = a.text[b.start - a.start :]
        assert b.text.startswith(shared) and 0 < len(shared) <= 10
    words = {w for c in chunks for w in c.text.split()}
    assert words == set(text.split())  # nothing lost


def test_a_word_longer_than_the_size_is_cut_inside() -> None:
    chunks = chunk_text("x" * 25, size=10, overlap=0)
    assert [len(c.text) for c in chunks] == [10, 10, 5]


def test_size_can_be_measured_in_tokens_by_a_length_function() -> None:
    words = " ".join(["token"] * 100)
    chunks = chunk_text(words, size=10, overlap=2, length=lambda t: len(t.split()))
    assert all(len(c.text.split()) <= 10 for c in chunks)
    assert len(chunks[0].text) > 10  # measured in words, not characters


def test_size_in_a_models_tokens() -> None:
    pytest.importorskip("tiktoken")
    from llmkit.memory import count_tokens

    model = "openai/gpt-4.1-mini"
    text = " ".join(f"Sentence number {i} talks about tides and the moon." for i in range(60))
    chunks = chunk_text(text, size=40, overlap=8, model=model)
    assert len(chunks) > 5
    assert all(count_tokens(model, c.text) <= 40 for c in chunks)
    assert max(len(c.text) for c in chunks) > 100  # measured in tokens, not characters
    for a, b in itertools.pairwise(chunks):
        shared = a.text[b.start - a.start :] if b.start < a.start + len(a.text) else ""
        assert count_tokens(model, shared) <= 8
    sections = chunk_markdown("# Moon\n" + text, size=40, overlap=0, model=model)
    assert all(c.heading == "Moon" and count_tokens(model, c.text) <= 40 for c in sections)


def test_model_and_length_together_are_refused() -> None:
    with pytest.raises(UsageError, match="not both"):
        chunk_text(PROSE, size=10, overlap=0, length=len, model="openai/gpt-4.1-mini")


def test_markdown_splits_at_headings_and_keeps_the_heading_path() -> None:
    text = (
        "Preamble.\n"
        "# Guide\nIntro.\n"
        "## Install\nRun pip.\n"
        "```sh\n# a comment, not a heading\n```\n"
        "## Use\nImport it.\n"
        "# Other\nMore.\n"
    )
    chunks = chunk_markdown(text, size=200, overlap=0)
    assert [(c.heading, c.text.splitlines()[0]) for c in chunks] == [
        (None, "Preamble."),
        ("Guide", "# Guide"),
        ("Guide > Install", "## Install"),
        ("Guide > Use", "## Use"),
        ("Other", "# Other"),
    ]
    assert "# a comment, not a heading" in chunks[2].text
    assert all(text[c.start : c.start + len(c.text)] == c.text for c in chunks)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(UsageError, match="size="):
        chunk_text("x", size=0)
    with pytest.raises(UsageError, match="overlap="):
        chunk_text("x", size=10, overlap=10)
    with pytest.raises(UsageError, match="takes a str"):
        chunk_markdown(b"# x")  # type: ignore[arg-type]

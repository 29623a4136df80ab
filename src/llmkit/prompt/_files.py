"""Prompt files: a template with front-matter (model, settings, output type, version).

Two shapes, chosen by suffix:

- **Markdown** (``.md``): an optional YAML front-matter between two ``---``
  lines at the top, then the template::

      ---
      version: 2
      description: Summarise a text for an audience.
      model: openai/gpt-4.1-mini
      settings: {temperature: 0.2}
      ---
      Summarise for {{ audience }}:
      {{ text }}

- **YAML** (``.yaml``, ``.yml``): the same fields, with the template under ``template``.

Fields: ``name`` (default: the file's path in the directory without its
suffix, and without an ``@version`` part: ``summarise@2.md`` is ``summarise``
version 2), ``version`` (a whole number or dotted numbers in quotes,
``"1.10"``), ``description``, ``model``, ``settings`` (a mapping),
``output`` (the name of an output type, for the code that runs the prompt),
``metadata`` (a mapping of your own). Any other key is refused, naming the
file and line. The front-matter is read with llmkit's bounded YAML reader
(safe loading only), with YAML 1.2's booleans.

A template's lines are the file's lines: the front-matter is blanked out by
a template comment, so an error in the template names the line of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmkit._jsondata import Located, read_text, refusal_line
from llmkit.errors import UsageError
from llmkit.prompt._errors import PromptFileError

__all__ = ["PROMPT_SUFFIXES", "PromptInfo", "read_info", "template_text", "version_key"]

PROMPT_SUFFIXES = (".md", ".yaml", ".yml")
"""The suffixes of prompt files (any file may be included as a partial)."""

_YAML_SUFFIXES = (".yaml", ".yml")
_FIELDS = ("name", "version", "description", "model", "settings", "output", "metadata")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_NAME = re.compile(r"^[^\s@]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptInfo:
    """What a prompt file says about its prompt, read from its front-matter (no template compiled)."""

    name: str
    """The prompt's name (``summarise``, ``support/triage``)."""
    version: str | None
    """Its version (``"2"``, ``"1.10"``), or None when the file gives none."""
    description: str = ""
    """One line saying what the prompt is for."""
    model: str | None = None
    """The model it was written for (``"openai/gpt-4.1-mini"``), if it names one."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Model settings (``temperature``, ``max_tokens`` ...) to run it with."""
    output: str | None = None
    """The name of the output type its answer is parsed into, if it names one."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Free-form values of your own."""
    file: Path
    """The file it was read from."""
    relative: str
    """The file's path inside the prompt directory, with ``/`` (how templates include it)."""

    @property
    def key(self) -> str:
        """``name@version``, or the name alone for a file with no version."""
        return self.name if self.version is None else f"{self.name}@{self.version}"


def version_key(version: str | None) -> tuple[int, ...]:
    """The order of versions: dotted numbers compared number by number (``1.10`` after ``1.9``)."""
    return () if version is None else tuple(int(part) for part in version.split("."))


def read_info(path: Path, *, relative: str) -> PromptInfo:
    """The front-matter of the prompt file at ``path`` (``relative`` inside its directory), checked."""
    text = read_text(path, what="a prompt file")
    located = _front_matter(text, path)
    data = located.data if located is not None else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _wrong(path, 1, "its front-matter must be a mapping of fields (name: value)")
    yaml_file = path.suffix in _YAML_SUFFIXES
    allowed = (*_FIELDS, "template") if yaml_file else _FIELDS

    def line(key: str) -> int:
        return located.line((key,)) if located is not None else 1

    for key in data:
        if key not in allowed:
            hint = (
                "; the template of a markdown file is the text below the front-matter"
                if key == "template"
                else ""
            )
            raise _wrong(
                path, line(str(key)), f"unknown field {key!r} (known: {', '.join(allowed)}){hint}"
            )
    if yaml_file and not isinstance(data.get("template"), str):
        raise _wrong(path, line("template"), "a YAML prompt file needs a `template:` text")
    stem, _, file_version = Path(relative).with_suffix("").as_posix().partition("@")
    name = _text(data, "name", path, line) or stem
    if not _NAME.match(name):
        raise _wrong(path, line("name"), f"the name {name!r} may not hold spaces or '@'")
    version = _version(data.get("version"), path, line("version"))
    if file_version:
        if not _VERSION.match(file_version):
            raise _wrong(path, 1, f"the version {file_version!r} in the file name is not a version")
        if version is not None and version != file_version:
            raise _wrong(
                path,
                line("version"),
                f"version {version} differs from the {file_version} in the file name",
            )
        version = file_version
    return PromptInfo(
        name=name,
        version=version,
        description=_text(data, "description", path, line) or "",
        model=_text(data, "model", path, line),
        settings=_mapping(data, "settings", path, line),
        output=_text(data, "output", path, line),
        metadata=_mapping(data, "metadata", path, line),
        file=path,
        relative=relative,
    )


def template_text(path: Path) -> str:
    """The template in the file at ``path``, padded so that its lines are the file's lines.

    A markdown file's front-matter (or a YAML file's text before its
    ``template``) becomes a template comment spanning the same lines; any
    other file is a template as it stands.
    """
    text = read_text(path, what="a prompt file")
    if path.suffix in _YAML_SUFFIXES:
        located = _parse(text, path)
        data = located.data
        template = data.get("template") if isinstance(data, dict) else None
        if not isinstance(template, str):
            raise _wrong(path, 1, "a YAML prompt file needs a `template:` text")
        key_line = located.line(("template",))
        rest = text.splitlines()[key_line - 1].partition(":")[2].strip()
        start = key_line + 1 if rest[:1] in ("|", ">") else key_line
        return _pad(start) + template
    lines = text.splitlines(keepends=True)
    end = _front_matter_end(lines, path)
    if end is None:
        return text
    return _pad(end + 2) + "".join(lines[end + 1 :])


def _pad(first_line: int) -> str:
    """A template comment that ends on ``first_line`` (nothing for line 1)."""
    return "{#" + "\n" * (first_line - 1) + "#}" if first_line > 1 else ""


def _front_matter_end(lines: list[str], path: Path) -> int | None:
    """The index of the line closing the front-matter, None when the file has none."""
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return index
    raise _wrong(path, 1, "the front-matter opened by '---' on line 1 is never closed by '---'")


def _front_matter(text: str, path: Path) -> Located | None:
    if path.suffix in _YAML_SUFFIXES:
        return _parse(text, path)
    lines = text.splitlines(keepends=True)
    end = _front_matter_end(lines, path)
    if end is None:
        return None
    # Parsed with its opening '---' (a YAML document start), so YAML's lines are the file's.
    return _parse("".join(lines[:end]), path)


def _parse(text: str, path: Path) -> Located:
    from llmkit.output._yaml import YAMLRefused, parse_yaml_located  # llmkit.output loads pydantic

    try:
        return parse_yaml_located(text, name=str(path), extra="prompts")
    except PromptFileError:
        raise
    except UsageError as exc:
        if type(exc) not in (UsageError, YAMLRefused):  # a missing extra: not the file's fault
            raise
        raise PromptFileError(
            str(exc), template=path.stem, file=str(path), line=refusal_line(exc)
        ) from None


def _wrong(path: Path, line: int, why: str) -> PromptFileError:
    return PromptFileError(
        f"{path}, line {line}: {why}.", template=path.stem, file=str(path), line=line
    )


def _text(data: dict[Any, Any], key: str, path: Path, line: Any) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _wrong(path, line(key), f"{key} takes a text, not {value!r}")
    return value


def _mapping(data: dict[Any, Any], key: str, path: Path, line: Any) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _wrong(path, line(key), f"{key} takes a mapping of names to values")
    return dict(value)


def _version(value: Any, path: Path, line: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise _wrong(
            path,
            line,
            f"version {value!r} is read by YAML as a number; write it in quotes "
            "(version: '1.10') so that 1.10 stays after 1.9",
        )
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _wrong(path, line, f"version takes a whole number or dotted numbers, not {value!r}")
    text = str(value)
    if not _VERSION.match(text):
        raise _wrong(path, line, f"version {text!r} is not numbers separated by dots (2, '1.10')")
    return text

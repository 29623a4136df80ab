"""A directory of prompt files, read lazily and looked up by ``name@version``.

:func:`load_prompts` reads nothing but the directory's existence. The first
lookup (or listing) reads the front-matter of every prompt file (``.md``,
``.yaml``, ``.yml``, in sub-directories too); a template is compiled when
its prompt is first asked for, then kept. Files and directories whose name
starts with ``_`` or ``.`` are not prompts: ``_*`` files are partials, for
``{% include "_tone.md" %}``.

Guarantees: two files that claim the same ``name@version`` are refused,
naming both; a name given with versions in some files and none in another
is refused (``latest`` would be ambiguous); every refusal names the file and
the line. A lookup of an unknown name or version lists what there is.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from llmkit.errors import UsageError
from llmkit.prompt._engine import Engine
from llmkit.prompt._errors import PromptFileError, PromptNotFoundError
from llmkit.prompt._files import PROMPT_SUFFIXES, PromptInfo, read_info, template_text, version_key
from llmkit.prompt._prompt import Prompt, file_prompt

__all__ = ["PromptLibrary", "load_prompts"]


def load_prompts(directory: str | os.PathLike[str]) -> PromptLibrary:
    """The prompt files of ``directory``, read when first asked for (see :class:`PromptLibrary`)."""
    return PromptLibrary(directory)


class PromptLibrary(Mapping[str, Prompt]):
    """The prompts of one directory, by ``name@version``; ``library["name"]`` is the latest.

    ::

        prompts = load_prompts("prompts/")
        prompts["summarise"].render(...)      # the latest version
        prompts["summarise@2"]                # version 2 ("summarise@latest" works too)
        list(prompts)                         # every "name@version" there is

    Iterating gives each file's key; :meth:`infos` gives every file's
    front-matter without compiling a template.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        root = Path(directory)
        if not root.is_dir():
            raise UsageError(
                f"No prompt directory at {root}; pass the directory that holds the prompt files."
            )
        self.directory = root
        """The directory the prompts are read from."""
        self._index: dict[str, list[PromptInfo]] | None = None
        self._prompts: dict[str, Prompt] = {}
        self._engine: Engine | None = None

    def infos(self) -> list[PromptInfo]:
        """The front-matter of every prompt file, by name then version (templates not compiled)."""
        return [info for name in sorted(self._files()) for info in self._files()[name]]

    def versions(self, name: str) -> list[str]:
        """The versions of the prompt ``name``, oldest first (empty for an unversioned prompt)."""
        return [i.version for i in self._versions_of(name) if i.version is not None]

    def info(self, key: str) -> PromptInfo:
        """The front-matter of the prompt ``key`` (``name``, ``name@version``, ``name@latest``)."""
        name, _, version = key.partition("@")
        versions = self._versions_of(name)
        if version in ("", "latest"):
            return versions[-1]
        for info in versions:
            if info.version == version:
                return info
        known = ", ".join(i.version or "(none)" for i in versions)
        raise PromptNotFoundError(
            f"The prompt {name!r} has no version {version!r} in {self.directory} "
            f"(versions: {known}).",
            template=name,
        )

    def __getitem__(self, key: str) -> Prompt:
        """The prompt ``key``, its template compiled on first use."""
        if not isinstance(key, str):
            raise UsageError(f"Prompts are looked up by name (a str), not {type(key).__name__}.")
        info = self.info(key)
        prompt = self._prompts.get(info.key)
        if prompt is None:
            prompt = self._prompts[info.key] = file_prompt(info, self._engine_now())
        return prompt

    def get(self, key: str, default: Any = None) -> Any:
        """The prompt ``key``, or ``default`` when there is no such prompt."""
        try:
            return self[key]
        except PromptNotFoundError:
            return default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self.info(key)
        except PromptNotFoundError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter([info.key for info in self.infos()])

    def __len__(self) -> int:
        return sum(len(versions) for versions in self._files().values())

    def __repr__(self) -> str:
        return f"PromptLibrary({str(self.directory)!r})"

    def _versions_of(self, name: str) -> list[PromptInfo]:
        versions = self._files().get(name)
        if not versions:
            known = ", ".join(sorted(self._files())) or "none"
            raise PromptNotFoundError(
                f"No prompt named {name!r} in {self.directory} (prompts: {known}).",
                template=name,
            )
        return versions

    def _engine_now(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.directory, source=template_text)
        return self._engine

    def _files(self) -> dict[str, list[PromptInfo]]:
        if self._index is None:
            self._index = _read_index(self.directory)
        return self._index


def _read_index(root: Path) -> dict[str, list[PromptInfo]]:
    """Every prompt file under ``root`` by name, its versions oldest first; clashes refused."""
    found: dict[str, list[PromptInfo]] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            path.suffix not in PROMPT_SUFFIXES
            or not path.is_file()
            or any(part.startswith(("_", ".")) for part in relative.parts)
        ):
            continue
        info = read_info(path, relative=relative.as_posix())
        found.setdefault(info.name, []).append(info)
    for name, infos in found.items():
        infos.sort(key=lambda i: version_key(i.version))
        unversioned = [i for i in infos if i.version is None]
        if unversioned and len(infos) > 1:
            other = next(i for i in infos if i is not unversioned[-1])
            raise PromptFileError(
                f"{unversioned[-1].file} gives the prompt {name!r} no version, and {other.file} "
                "gives it one; give every file of a prompt a version.",
                template=name,
                file=str(unversioned[-1].file),
                line=1,
            )
        for older, newer in itertools.pairwise(infos):
            if version_key(older.version) == version_key(newer.version):
                raise PromptFileError(
                    f"{older.file} and {newer.file} are both {newer.key}; "
                    "give one of them another version.",
                    template=name,
                    file=str(newer.file),
                    line=1,
                )
    return found

"""Programs that can run commands or open files of their own choosing: what the process tool refuses.

The path rule reads arguments; it cannot see a file named inside a sed or
awk program in a form it does not know (``w/x``), nor a command run by an
option (``find -exec``). A few programs that people allow-list for their own
job have such forms; the process tool knows them by name and refuses those
forms (rule ``program_args``):

- ``sed`` (``gsed``): the commands ``e``, ``r``, ``R``, ``w``, ``W`` and the
  ``s`` flags ``e`` and ``w``; ``-f``/``--file`` (a script from a file);
- ``awk`` (``gawk``, ``mawk``, ``nawk``): ``system()``, ``getline``, ``|``,
  ``>`` after ``print``/``printf``, ``@``, ``ARGV``, ``PROCINFO``,
  ``SYMTAB``, ``FUNCTAB``; ``-f``, ``-E``, ``-i``, ``-l``, ``-W``;
- ``find`` (``gfind``): ``-exec``, ``-execdir``, ``-ok``, ``-okdir``,
  ``-files0-from``;
- ``tar`` (``gtar``, ``bsdtar``): ``--to-command``, ``--checkpoint-action``,
  ``-I``/``--use-compress-program``, ``-F``/``--info-script``/
  ``--new-volume-script``, ``--rsh-command``, ``--rmt-command``,
  ``-T``/``--files-from``, ``-P``/``--absolute-names``, and a ``host:file``
  name (a remote archive) unless ``--force-local`` is given;
- ``sort`` (``gsort``): ``--compress-program``;
- every program: ``--files-from`` and ``--files0-from`` (names read from a
  file, where the path rule cannot check them).

Long options are matched as ``getopt_long`` reads them, abbreviations
included (``--to-com=x`` is ``--to-command=x``). For sed and awk an option
that this module does not know is refused too, because it could change
which argument is the script. Only arguments that hold text from the model
are held to the rule; a script that holds any is read as a whole.

Programs whose job is to run other programs or to follow instructions from
files (shells and interpreters, ``xargs``, ``env``, ``nice``, ``timeout``,
``git`` with its hooks and configuration, ``make``…) are not covered: to
allow-list one is to give the model a shell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import NoReturn

from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._scripts import awk_danger, sed_danger

__all__ = ["check_program_args"]

_Script = tuple[int, str, bool]  # where a script is, its text, whether the model's text is in it
_Check = Callable[[str, Sequence[str], Sequence[bool]], frozenset[int]]


def check_program_args(command: str, args: Sequence[str], shaped: Sequence[bool]) -> frozenset[int]:
    """Refuse (rule ``program_args``) a form that makes ``command`` run a command or open a file.

    ``shaped[i]`` says whether text from the model is in ``args[i]``. Returns
    where the scripts are that were read in full (a sed or awk program),
    which the path rule need not read.
    """
    name = os.path.basename(command).lower().removesuffix(".exe")
    ended = False
    for arg, mine in zip(args, shaped, strict=True):
        ended = ended or arg == "--"
        option = None if ended else _long(arg)
        if mine and option is not None:
            hit = _abbreviates(option, ("files-from", "files0-from"), exact=("file",))
            if hit:
                _refuse(
                    command,
                    f"--{hit} reads the names of files from a file, where they cannot be checked",
                    "Give the names as arguments.",
                )
    check = _CHECKS.get(name)
    return frozenset() if check is None else check(command, args, shaped)


def _long(arg: str) -> str | None:
    """The name in a long option (``--name`` or ``--name=value``), else None."""
    return arg[2:].partition("=")[0] if arg.startswith("--") and len(arg) > 2 else None


def _abbreviates(given: str, names: Iterable[str], *, exact: Iterable[str] = ()) -> str | None:
    """The first of ``names`` that ``given`` spells or abbreviates (unless it is one of ``exact``)."""
    if given in exact:
        return None
    return next((name for name in names if name.startswith(given)), None)


def _refuse(command: str, what: str, allowed: str) -> NoReturn:
    raise Refused("program_args", f"{command}: {what}. {allowed}")


# -- find ---------------------------------------------------------------------------------

_FIND = {
    "-exec": "runs a command",
    "-execdir": "runs a command",
    "-ok": "runs a command",
    "-okdir": "runs a command",
    "-files0-from": "reads the starting points from a file, where they cannot be checked",
}


def _find(command: str, args: Sequence[str], shaped: Sequence[bool]) -> frozenset[int]:
    for arg, mine in zip(args, shaped, strict=True):
        if mine and arg in _FIND:
            _refuse(
                command,
                f"{arg} {_FIND[arg]}",
                "find may search, print (also to a file in the root with -fprint) and -delete; "
                "run another program on what it finds with a call of its own.",
            )
    return frozenset()


# -- tar ----------------------------------------------------------------------------------

_TAR_LONG = {
    "to-command": "runs a command",
    "checkpoint-action": "can run a command",
    "use-compress-program": "runs a command",
    "info-script": "runs a command",
    "new-volume-script": "runs a command",
    "rsh-command": "runs a command",
    "rmt-command": "runs a command",
    "files-from": "reads the names of files from a file, where they cannot be checked",
    "absolute-names": "lets tar write to absolute paths and through '..'",
}
_TAR_SHORT = {
    "I": "use-compress-program",
    "F": "info-script",
    "T": "files-from",
    "P": "absolute-names",
}
_TAR_VALUED = frozenset("bCfFgHIKLNTVX")  # short options that take a value
_TAR_ALLOWED = "Use tar to create, list and extract archives inside the root, with -z, -j or -J."


def _tar(command: str, args: Sequence[str], shaped: Sequence[bool]) -> frozenset[int]:
    local = "--force-local" in args
    ended = False
    for index, (arg, mine) in enumerate(zip(args, shaped, strict=True)):
        option = None if ended else _long(arg)
        ended = ended or arg == "--"
        if not mine:
            continue
        if option is not None:
            hit = _abbreviates(option, _TAR_LONG, exact=("file", "checkpoint"))
            if hit:
                _refuse(command, f"--{hit} {_TAR_LONG[hit]}", _TAR_ALLOWED)
            if option == "file":
                _tar_remote(command, arg.partition("=")[2], local)
            continue
        old_style = index == 0 and not arg.startswith("-")  # 'tar cf x.tar ...'
        if old_style or (arg.startswith("-") and not ended):
            letters = arg if old_style else arg[1:]
            for at, letter in enumerate(letters):
                if letter in _TAR_SHORT:
                    hit = _TAR_SHORT[letter]
                    _refuse(command, f"-{letter} (--{hit}) {_TAR_LONG[hit]}", _TAR_ALLOWED)
                if letter in _TAR_VALUED and not old_style:
                    if letter == "f":
                        _tar_remote(command, letters[at + 1 :], local)
                    break
            continue
        _tar_remote(command, arg, local)
    return frozenset()


def _tar_remote(command: str, name: str, local: bool) -> None:
    colon, slash = name.find(":"), name.find("/")
    if not local and colon > 0 and (slash < 0 or colon < slash):
        _refuse(
            command,
            f"{name!r} names a remote archive ('host:file'), reached by running a remote shell",
            "Add --force-local to read the name as a local file, or name the file without ':'.",
        )


# -- sort ---------------------------------------------------------------------------------


def _sort(command: str, args: Sequence[str], shaped: Sequence[bool]) -> frozenset[int]:
    for arg, mine in zip(args, shaped, strict=True):
        if arg == "--":
            break
        option = _long(arg)
        if mine and option is not None and _abbreviates(option, ("compress-program",)):
            _refuse(
                command,
                "--compress-program runs a command",
                "sort may read files in the root and write its output with -o.",
            )
    return frozenset()


# -- sed and awk: options, then the script ------------------------------------------------


class _Options:
    """How one script language's command line reads: which options take a value, which hold a script."""

    def __init__(
        self,
        *,
        flags: str,
        valued: dict[str, str],
        long: dict[str, str],
        permute: bool,
    ) -> None:
        self.flags = frozenset(flags)
        self.valued = valued  # short letter -> kind
        self.long = long  # long name -> kind
        self.permute = permute  # options may follow operands (GNU sed); awk stops at the first

    def scripts(
        self, command: str, args: Sequence[str], shaped: Sequence[bool], refused: str
    ) -> tuple[list[_Script], bool]:
        """The scripts in ``args``, refusing options; and whether every implementation agrees.

        Kinds: ``flag``, ``value``, ``script`` (the value is a script), ``number``,
        ``refused``, ``optional`` (a value only when attached: ``-i.bak``, ``--in-place=.bak``).
        Where implementations read the options differently (BSD sed takes ``-i``'s
        suffix and no ``-l`` value as arguments of their own), every argument that
        might be the script is returned, and the answer is not certain.
        """
        scripts: list[_Script] = []
        operands: list[int] = []
        bare: set[int] = set()  # the argument after an option whose optional value was left out
        certain = True
        explicit = False  # a script given by an option: then no operand is one
        index = 0
        while index < len(args):
            at = index
            arg, mine = args[index], shaped[index]
            index += 1
            if arg == "--":
                operands.extend(range(index, len(args)))
                break
            if arg == "-" or not arg.startswith("-"):
                operands.append(at)
                if not self.permute:
                    operands.extend(range(index, len(args)))
                    break
                continue
            kind, value = self._read(arg)
            if kind is None or kind == "refused":
                if mine:
                    why = "reads a program from a file" if kind else "is not an option llmkit knows"
                    _refuse(command, f"{arg.partition('=')[0]} {why}", refused)
                certain = False  # the template's own option: its value may be an argument
                continue
            if kind == "optional":
                if value is None:
                    bare.add(index)
                    certain = False
                continue
            if kind != "flag" and value is None and index < len(args):
                at, value, mine = index, args[index], mine or shaped[index]
                index += 1
            if kind == "script":
                explicit = True
                scripts.append((at, value or "", mine))
            elif kind == "number":
                certain = False
                if not (value or "").isdigit():
                    scripts.append((at, value or "", mine))  # BSD: a flag; this may be the script
        if not explicit and operands:
            first = operands[0]
            scripts.append((first, args[first], shaped[first]))
            if first in bare and len(operands) > 1:  # BSD 'sed -i "" script': a suffix came first
                scripts.append((operands[1], args[operands[1]], shaped[operands[1]]))
        return scripts, certain

    def _read(self, arg: str) -> tuple[str | None, str | None]:
        """An option's kind (None when unknown) and its attached value (None when not attached)."""
        if arg.startswith("--"):
            given, equals, value = arg[2:].partition("=")
            names = [name for name in self.long if name.startswith(given)]
            name = given if given in self.long else names[0] if len(names) == 1 else None
            if name is None:
                return None, None
            return self.long[name], value if equals else None
        for at, letter in enumerate(arg[1:], start=1):
            if letter in self.flags:
                continue
            kind = self.valued.get(letter)
            return kind, (arg[at + 1 :] or None) if kind else None
        return "flag", None


_SED = _Options(
    flags="nrEsuz",
    valued={"e": "script", "f": "refused", "l": "number", "i": "optional"},
    long={
        "expression": "script",
        "file": "refused",
        "line-length": "number",
        "in-place": "optional",
        **dict.fromkeys(
            [
                "quiet",
                "silent",
                "regexp-extended",
                "separate",
                "unbuffered",
                "null-data",
                "zero-terminated",
                "posix",
                "sandbox",
                "debug",
                "follow-symlinks",
                "help",
                "version",
            ],
            "flag",
        ),
    },
    permute=True,
)
_SED_ALLOWED = (
    "sed scripts may use every command but e, r, R, w and W, and the s flags e and w; "
    "-f (a script from a file) is refused. Print with p and read the output instead."
)
_AWK = _Options(
    flags="bcPrSNnVhO",
    valued={
        "F": "value",
        "v": "value",
        "e": "script",
        **dict.fromkeys("fEilW", "refused"),
    },
    long={
        "field-separator": "value",
        "assign": "value",
        "source": "script",
        **dict.fromkeys(("file", "exec", "include", "load"), "refused"),
        **dict.fromkeys(
            [
                "characters-as-bytes",
                "traditional",
                "posix",
                "re-interval",
                "sandbox",
                "use-lc-numeric",
                "non-decimal-data",
                "version",
                "help",
                "usage",
                "optimize",
            ],
            "flag",
        ),
    },
    permute=False,
)
_AWK_ALLOWED = (
    "awk programs may not use system(), getline, '|', '>' after print or printf, '@', ARGV, "
    "PROCINFO, SYMTAB or FUNCTAB; -f, -E, -i, -l and -W are refused. Print to standard "
    "output and read it instead."
)


def _script_checker(options: _Options, danger: Callable[[str], str | None], allowed: str) -> _Check:
    def check(command: str, args: Sequence[str], shaped: Sequence[bool]) -> frozenset[int]:
        scripts, certain = options.scripts(command, args, shaped, allowed)
        if not any(mine for _, _, mine in scripts):
            return frozenset()
        texts = [text for _, text, _ in scripts]
        for text in dict.fromkeys(["\n".join(texts), *texts]):
            found = danger(text)
            if found is not None:
                _refuse(command, found, allowed)
        # A script read in full names no file: the path rule need not read it (its
        # regular expressions look like paths). Not so when another reading makes it a file.
        return frozenset(at for at, _, _ in scripts) if certain else frozenset()

    return check


_CHECKS: dict[str, _Check] = {
    **dict.fromkeys(("sed", "gsed"), _script_checker(_SED, sed_danger, _SED_ALLOWED)),
    **dict.fromkeys(
        ("awk", "gawk", "mawk", "nawk"), _script_checker(_AWK, awk_danger, _AWK_ALLOWED)
    ),
    **dict.fromkeys(("find", "gfind"), _find),
    **dict.fromkeys(("tar", "gtar", "bsdtar"), _tar),
    **dict.fromkeys(("sort", "gsort"), _sort),
}

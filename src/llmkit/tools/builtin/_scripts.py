"""Reading sed and awk programs for what runs a command or opens a file of the program's choosing.

Both scanners follow the languages closely enough to find commands, not
words: ``s/write/w/`` is a substitution, ``{ print "system" }`` prints text.
Where implementations read a program differently (a delimiter inside a
bracket expression, ``length`` before a ``/``), or the text cannot be read,
the scanner says so instead of guessing, so a program that passes means the
same harmless thing to every implementation.

Each scanner returns None when the program is harmless, else a sentence
saying what it found.
"""

from __future__ import annotations

import re

__all__ = ["awk_danger", "sed_danger"]

_BLANKS = " \t"


class _Unreadable(Exception):
    """The text is not a program this scanner can read with certainty."""


def _bracket_end(text: str, index: int, delimiter: str) -> int:
    """The offset after the bracket expression opening at ``text[index] == '['``.

    A delimiter inside the brackets is refused: some implementations end the
    expression there, others do not, so the rest would be read differently.
    """
    index += 1
    if text[index : index + 1] == "^":
        index += 1
    if text[index : index + 1] == "]":
        index += 1
    while index < len(text):
        char = text[index]
        if char == "\n":
            break
        if char == "\\" and text[index + 1 : index + 2] == delimiter:
            index += 2  # '\/' does not end the expression, however brackets are read
            continue
        if char == delimiter:
            raise _Unreadable(f"a {delimiter!r} inside [...]: write it as '\\{delimiter}'")
        if char == "[" and text[index + 1 : index + 2] in (":", "=", "."):
            close = text.find(text[index + 1] + "]", index + 2)
            if close < 0:
                break
            index = close + 2
            continue
        if char == "]":
            return index + 1
        index += 1
    raise _Unreadable("an unterminated [...]")


def _delimited(text: str, index: int, delimiter: str, *, regex: bool) -> int:
    """The offset after the text that ``delimiter`` ends, starting at ``index``."""
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == delimiter:
            return index + 1
        if char == "\n" and regex:
            break
        if char == "[" and regex:
            index = _bracket_end(text, index, delimiter)
            continue
        index += 1
    raise _Unreadable(f"an unterminated {delimiter!r}...{delimiter!r}")


# -- sed ----------------------------------------------------------------------------------

_SED_PLAIN = frozenset("=dDgGhHnNpPxzF")
_SED_NUMBER = frozenset("lLqQ")
_SED_LABEL = frozenset(":btTv")
_SED_TEXT = frozenset("aic")
_SED_DANGER = {
    "e": "the command 'e' runs a command",
    "r": "the command 'r' reads a file",
    "R": "the command 'R' reads a file",
    "w": "the command 'w' writes a file",
    "W": "the command 'W' writes a file",
}
_SED_FLAGS = frozenset("gpiImM0123456789")


def sed_danger(script: str) -> str | None:
    """What in the sed ``script`` runs a command or reads or writes a file, or None."""
    try:
        return _sed(script)
    except _Unreadable as exc:
        return f"the script cannot be read with certainty ({exc})"


def _skip(text: str, index: int, chars: str) -> int:
    while index < len(text) and text[index] in chars:
        index += 1
    return index


def _sed_address(script: str, index: int, *, second: bool) -> int:
    char = script[index : index + 1]
    if char.isdigit() or (second and char in ("+", "~")):
        index = _skip(script, index + 1 if char in ("+", "~") else index, "0123456789")
        if script[index : index + 1] == "~":
            index = _skip(script, index + 1, "0123456789")
        return index
    if char == "$":
        return index + 1
    if char in ("/", "\\"):
        delimiter = "/"
        if char == "\\":
            delimiter = script[index + 1 : index + 2]
            if delimiter in ("", "\n", "\\"):
                raise _Unreadable("an address delimiter is missing")
            index += 1
        index = _delimited(script, index + 1, delimiter, regex=True)
        return _skip(script, index, "IM")
    return index


def _sed_end(script: str, index: int) -> int:
    """After a command: blanks, then the end of the command (';', a newline, '}', '#', the end)."""
    index = _skip(script, index, _BLANKS)
    if index < len(script) and script[index] not in ";\n}#":
        raise _Unreadable(f"{script[index]!r} after a command")
    return index


def _sed_text(script: str, index: int) -> int:
    """After 'a', 'i' or 'c': the text, to the end of the line ('\\' escapes a newline)."""
    while index < len(script) and script[index] != "\n":
        index += 2 if script[index] == "\\" else 1
    return index


def _sed(script: str) -> str | None:
    index = 0
    while True:
        index = _skip(script, index, _BLANKS + "\n;")
        if index >= len(script):
            return None
        index = _sed_address(script, index, second=False)
        index = _skip(script, index, _BLANKS)
        if script[index : index + 1] == ",":
            index = _skip(script, index + 1, _BLANKS)
            index = _sed_address(script, index, second=True)
        index = _skip(script, index, _BLANKS)
        while script[index : index + 1] == "!":
            index = _skip(script, index + 1, _BLANKS)
        if index >= len(script):
            raise _Unreadable("an address without a command")
        command = script[index]
        index += 1
        if command in _SED_DANGER:
            return _SED_DANGER[command]
        if command in "{}":
            continue
        if command == "#":
            newline = script.find("\n", index)
            index = len(script) if newline < 0 else newline
        elif command in _SED_TEXT:
            index = _sed_text(script, index)
        elif command in _SED_PLAIN:
            index = _sed_end(script, index)
        elif command in _SED_NUMBER:
            index = _sed_end(script, _skip(script, _skip(script, index, _BLANKS), "0123456789"))
        elif command in _SED_LABEL:
            index = _skip(script, index, _BLANKS)
            while index < len(script) and script[index] not in _BLANKS + "\n;}":
                index += 1
            index = _sed_end(script, index)
        elif command in "sy":
            delimiter = script[index : index + 1]
            if delimiter in ("", "\n", "\\"):
                raise _Unreadable(f"'{command}' without a delimiter")
            index = _delimited(script, index + 1, delimiter, regex=command == "s")
            index = _delimited(script, index, delimiter, regex=False)
            if command == "s":
                while index < len(script) and script[index] in _SED_FLAGS:
                    index += 1
                flag = script[index : index + 1]
                if flag == "e":
                    return "the s flag 'e' runs the result as a command"
                if flag == "w":
                    return "the s flag 'w' writes a file"
            index = _sed_end(script, index)
        else:
            raise _Unreadable(f"the command {command!r}")


# -- awk ----------------------------------------------------------------------------------

_AWK_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9.][0-9A-Za-z.]*|\S")
_AWK_REFUSED = {
    "system": "system() runs a command",
    "getline": "getline reads a file or a command's output",
    "ARGV": "ARGV changes which files are read",
    "PROCINFO": "PROCINFO changes how the interpreter works",
    "SYMTAB": "SYMTAB reaches every variable by name",
    "FUNCTAB": "FUNCTAB reaches every function by name",
}
# After these words an operand comes next, so '/' starts a regular expression.
_AWK_BEFORE_OPERAND = frozenset(("print", "printf", "return", "in", "case", "else", "do", "exit"))
_AWK_CONTROL = frozenset(("if", "while", "for", "switch"))
_AWK_GOES_ON = frozenset((",", "{", "&&", "||", "do", "else", "?", ":"))
_AWK_PAIRS = frozenset(
    (
        "||",
        "&&",
        ">=",
        ">>",
        "<=",
        "==",
        "!=",
        "!~",
        "++",
        "--",
        "+=",
        "-=",
        "*=",
        "/=",
        "%=",
        "^=",
        "**",
        "|&",
    )
)


def awk_danger(program: str) -> str | None:
    """What in the awk ``program`` runs a command or reads or writes a file, or None."""
    try:
        return _Awk(program).scan()
    except _Unreadable as exc:
        return f"the program cannot be read with certainty ({exc})"


class _Awk:
    """One pass over an awk program, token by token, knowing where an operand comes next."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.operand = True  # whether an operand comes next (so '/' starts a regex)
        self.groups: list[bool] = []  # open '(' and '[': True for an if/while/for condition
        self.printing: int | None = None  # group depth of the print statement being read
        self.last = ""  # the last token

    def scan(self) -> str | None:
        text, index = self.text, 0
        while index < len(text):
            char = text[index]
            if char in _BLANKS or char == "\r":
                index += 1
            elif char == "\\":
                if text[index + 1 : index + 2] != "\n":
                    raise _Unreadable("a '\\' outside a string")
                index += 2  # a line continued
            elif char == "\n":
                if self.last not in _AWK_GOES_ON and len(self.groups) <= (self.printing or 0):
                    self.printing = None
                self.operand = True
                index += 1
            elif char == "#":
                newline = text.find("\n", index)
                index = len(text) if newline < 0 else newline
            elif char == '"':
                index = self._string(index + 1)
                self._token('"', operand=False)
            elif char == "/" and self.operand:
                index = _delimited(text, index + 1, "/", regex=True)
                self._token("/re/", operand=False)
            else:
                match = _AWK_TOKEN.match(text, index)
                assert match is not None  # \S matches any character left here
                token, index = match.group(), match.end()
                if token[0].isalpha() or token[0] == "_":
                    found = self._word(token, index)
                elif token[0].isdigit() or token[0] == ".":
                    self._token(token, operand=False)
                    found = None
                else:
                    if text[index - 1 : index + 1] in _AWK_PAIRS:
                        token, index = text[index - 1 : index + 1], index + 1
                    found = self._symbol(token)
                if found is not None:
                    return found
        if self.groups:
            raise _Unreadable("an unclosed '(' or '['")
        return None

    def _token(self, token: str, *, operand: bool) -> None:
        self.last = token
        self.operand = operand

    def _string(self, index: int) -> int:
        text = self.text
        while index < len(text):
            if text[index] == "\\":
                index += 2
            elif text[index] == '"':
                return index + 1
            elif text[index] == "\n":
                break
            else:
                index += 1
        raise _Unreadable("an unterminated string")

    def _word(self, word: str, index: int) -> str | None:
        if word in _AWK_REFUSED:
            return _AWK_REFUSED[word]
        if word in ("print", "printf") and self.printing is None:
            self.printing = len(self.groups)
        if word == "length" and self.text[_skip(self.text, index, _BLANKS) :][:1] == "/":
            raise _Unreadable("'length' before '/': write length($0)")
        self._token(
            "control" if word in _AWK_CONTROL else word, operand=word in _AWK_BEFORE_OPERAND
        )
        return None

    def _symbol(self, token: str) -> str | None:
        if token == "@":
            return "'@' (an extension, an include or an indirect call) is not allowed"
        if token[0] == "|" and token != "||":
            return "'|' runs a command"
        if token[0] == ">" and self.printing == len(self.groups):
            return f"{token!r} after print or printf writes to a file"
        if token in ("(", "["):
            self.groups.append(token == "(" and self.last == "control")
            self._token(token, operand=True)
        elif token in (")", "]"):
            if not self.groups:
                raise _Unreadable(f"an unmatched {token!r}")
            self._token(token, operand=self.groups.pop())  # after a condition, a statement
        elif token in ("++", "--"):
            self._token(token, operand=self.operand)  # what comes next does not change
        else:
            if token == "}" or (token == ";" and len(self.groups) <= (self.printing or 0)):
                self.printing = None
            self._token(token, operand=True)
        return None

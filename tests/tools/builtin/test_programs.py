"""Common programs that can run commands or open files of their choosing: those forms are refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from llmkit.tools.builtin import Refused, from_command
from llmkit.tools.builtin._scripts import awk_danger, sed_danger

from .conftest import run_tool

pytestmark = pytest.mark.anyio

PROGRAMS = ["sed", "awk", "find", "tar", "sort", "wc", "du"]


@pytest.fixture
def work(root: Path) -> Path:
    (root / "in.txt").write_text("b\na\nc\n")
    (root / "list").write_text(f"{root.parent / 'canary'}\0")  # a name to smuggle
    return root


def _installed(program: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(shutil.which(program) is None, reason=f"{program} is not installed")


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("sed", ["-n", "w{outside}/written", "in.txt"]),  # no joiner before the path
        ("sed", ["-n", "wwritten", "in.txt"]),
        ("sed", ["-n", "1e touch pwned", "in.txt"]),
        ("sed", ["-n", "rlist", "in.txt"]),
        ("sed", ["s/a/touch pwned/e", "in.txt"]),
        ("sed", ["s/a/b/w pwned", "in.txt"]),
        ("sed", ["-e", "p", "-e", "1!W pwned", "in.txt"]),
        ("sed", ["--expr=$R list", "in.txt"]),  # an abbreviated --expression
        ("sed", ["-n", "/b/{p;w pwned\n}", "in.txt"]),
        ("sed", ["-i", "", "w pwned", "in.txt"]),  # BSD sed: '' is -i's suffix
        ("sed", ["-f", "list", "in.txt"]),
        ("sed", ["-Z", "p", "in.txt"]),  # not an option llmkit knows
        ("sed", ["s/[/]/x/;w pwned", "in.txt"]),  # read differently by different seds
        ("awk", ['BEGIN { system("touch pwned") }']),
        ("awk", ['{ print > "pwned" }', "in.txt"]),
        ("awk", ['{ printf("%s", $0) >> "pwned" }', "in.txt"]),
        ("awk", ['{ print | "cat > pwned" }', "in.txt"]),
        ("awk", ['BEGIN { while ((getline line < "list") > 0) print line }']),
        ("awk", ['BEGIN { ARGV[1] = "in.txt"; ARGC = 2 } { print }']),
        ("awk", ["-f", "list", "in.txt"]),
        ("awk", ['BEGIN { f = "sys" "tem"; @f("touch pwned") }']),
        ("find", [".", "-name", "in.txt", "-exec", "touch", "pwned", ";"]),
        ("find", [".", "-execdir", "touch", "pwned", "+"]),
        ("find", [".", "-ok", "touch", "pwned", ";"]),
        ("find", ["-files0-from", "list"]),
        (
            "tar",
            ["-cf", "x.tar", "in.txt", "--checkpoint=1", "--checkpoint-action=exec=touch pwned"],
        ),
        ("tar", ["-cf", "x.tar", "--use-comp=touch pwned", "in.txt"]),  # abbreviated
        ("tar", ["-cIsh", "-f", "x.tar", "in.txt"]),
        ("tar", ["cIf", "sh", "x.tar", "in.txt"]),  # the old style, without '-'
        ("tar", ["-cf", "x.tar", "-T", "list"]),
        ("tar", ["--files-from=list", "-cf", "x.tar"]),
        ("tar", ["-xPf", "x.tar"]),
        ("tar", ["-cf", "host:x.tar", "in.txt"]),
        ("tar", ["-xf", "x.tar", "--to-command=sh"]),
        ("sort", ["-S", "1K", "--compress-program=touch pwned", "in.txt"]),
        ("sort", ["--compress=sh", "in.txt"]),
        ("wc", ["--files0-from=list"]),
        ("du", ["--files0=list"]),
    ],
)
async def test_forms_that_run_commands_or_open_unchecked_files_are_refused(
    work: Path, command: str, args: list[str]
) -> None:
    if shutil.which(command) is None:
        pytest.skip(f"{command} is not installed")
    filled = [a.replace("{outside}", str(work.parent)) for a in args]
    with pytest.raises(Refused) as caught:
        await run_tool(work, commands=PROGRAMS).function(command=command, args=filled)
    assert caught.value.rule == "program_args"
    assert str(caught.value).startswith(f"Refused (program_args): {command}: ")
    assert not (work / "pwned").exists() and not (work.parent / "written").exists()
    assert (work.parent / "canary").read_text() == "alive"


@pytest.mark.parametrize(
    ("command", "args", "stdout"),
    [
        ("sed", ["-n", "2p", "in.txt"], "a\n"),
        ("sed", ["-e", "s/b/B/", "-e", "/c/d", "in.txt"], "B\na\n"),
        ("sed", ["s|a|w|;y/bc/ez/", "in.txt"], "e\nw\nz\n"),
        ("sed", ["-n", "/write/p;$=", "in.txt"], "3\n"),
        ("sed", ["1i first line\n$a last", "in.txt"], "first line\nb\na\nc\nlast\n"),
        ("awk", ['$1 > "a" { print $1 }', "in.txt"], "b\nc\n"),
        ("awk", ["{ n++ } END { print n, n / 2 }", "in.txt"], "3 1.5\n"),
        ("awk", ["-F", ":", '/a|b/ { print "system" }', "in.txt"], "system\nsystem\n"),
        ("find", [".", "-name", "*.txt"], "./in.txt\n./a.txt\n"),
        ("sort", ["-r", "in.txt"], "c\nb\na\n"),
        ("tar", ["-cf", "x.tar", "--checkpoint=1", "in.txt"], ""),
    ],
)
async def test_the_usual_forms_still_run(
    work: Path, command: str, args: list[str], stdout: str
) -> None:
    if shutil.which(command) is None:
        pytest.skip(f"{command} is not installed")
    result = await run_tool(work, commands=PROGRAMS).function(command=command, args=args)
    assert result["exit_code"] == 0, result["stderr"]
    assert sorted(result["stdout"].splitlines()) == sorted(stdout.splitlines())


async def test_a_script_in_a_template_is_read_with_the_values_in_it(work: Path) -> None:
    replace = from_command("replace", ["sed", "s/{old}/{new}/", "in.txt"], root=work)
    assert (await replace.function(old="a", new="x"))["stdout"] == "b\nx\nc\n"
    with pytest.raises(Refused) as caught:
        await replace.function(old="a", new="x/w pwned\n#")
    assert caught.value.rule == "program_args"
    assert not (work / "pwned").exists()
    # the template's own options are the user's: only what the model's text reaches is read
    finder = from_command(
        "finder", ["find", ".", "-name", "{name}", "-exec", "wc", "-c", "{}", ";"], root=work
    )
    assert (await finder.function(name="in.txt"))["stdout"] == "6 ./in.txt\n"


@pytest.mark.parametrize(
    "script",
    [
        "s/a/b/g",
        "p",
        "1!G;h;$!d",
        "/x/d",
        "y/abc/xyz/",
        "s|a/b|c|",
        ":a;N;$!ba;s/\\n/ /g",
        "$p",
        "2,5p",
        "0,/re/d",
        "1~2p",
        "/a/,+3d",
        "\\,x,p",
        "/a/I,/b/Mp",
        "{p;p}",
        "l 5",
        "q5",
        "#comment w x\np",
        "s/a\\/b/c/",
        "s/[\\/]/c/",
        "s/w/e/3p",
        "/write/p",
        "F",
        "z",
        "1a hello; w x",
        "1a\\\nhello\\\nw x",
    ],
)
def test_sed_scripts_without_commands_that_reach_out(script: str) -> None:
    assert sed_danger(script) is None


@pytest.mark.parametrize(
    "script",
    [
        "e",
        "1e id",
        "r f",
        "R f",
        "w f",
        "W f",
        "wf",
        "s/a/b/w f",
        "s/a/b/gw f",
        "s/a/b/e",
        "1!{w x\n}",
        "s/a/b/ ; w x",
        "}w x",
        "1a\\\nhello\nw x",
        "s/[/]/x/",
        "b x a;w f",
        "s/a/b",
        "/a",
        "k",
    ],
)
def test_sed_scripts_that_reach_out_or_cannot_be_read(script: str) -> None:
    assert sed_danger(script) is not None


@pytest.mark.skipif(
    shutil.which("sed") is None
    or subprocess.run(["sed", "--sandbox", "p"], input=b"", capture_output=True).returncode != 0,
    reason="needs GNU sed (its --sandbox refuses e, r and w itself)",
)
@pytest.mark.parametrize(
    "script",
    [
        "w x",
        "1w x",
        "$!w x",
        "/a/w x",
        "s/a/b/w x",
        "s/a/b/e",
        "e",
        "r x",
        "1r x",
        "R x",
        "W x",
        "{w x\n}",
        "1{\nw x\n}",
        "s,a,b,w x",
        "y/a/b/;w x",
        "2q;w x",
        ":a;w x",
        "b;w x",
        "a\\\nt\nw x",
        "# c\nw x",
        "\\%a%w x",
        "s/a\\/b/c/w x",
        "s/a/\\/w/w x",
    ],
)
def test_what_gnu_sed_refuses_in_its_sandbox_is_refused(script: str) -> None:
    sandboxed = subprocess.run(
        ["sed", "--sandbox", "-n", script], input=b"", capture_output=True, check=False
    )
    assert b"sandbox" in sandboxed.stderr  # GNU sed itself calls it a command that reaches out
    assert sed_danger(script) is not None


@pytest.mark.parametrize(
    "program",
    [
        "{print $1}",
        "$3 > 10 {print $1}",
        "{s += $2} END {print s}",
        "/a|b/ {print}",
        "{print ($1 > 2)}",
        "{ if ($1 > 3) print $1 }",
        "{print a[b > c]}",
        "{ x = (a)/2/1; print x }",
        '{print "system"}',
        '{ print "a > b" }',
        "{print a\n b > 3}",
        "function f(a) { return a*2 } {print f($1)}",
        "{ n = length($0) / 2; print n }",
        '{ gsub(/[\\/]/, "X") }',
        "{ x = a / b / c }",
        'BEGIN { FS = "|" } { print $2 }',
        '{ print $1 # comment > "x"\n}',
        "$1 ~ /^#/ {next} {print}",
        '{print}\n$1 > 2 {print "big"}',
        "NR % 2 && $1 >= 3",
    ],
)
def test_awk_programs_without_commands_that_reach_out(program: str) -> None:
    assert awk_danger(program) is None


@pytest.mark.parametrize(
    "program",
    [
        'BEGIN{system("id")}',
        '{print > "out"}',
        '{printf("%s\\n", $1) > "f"}',
        'BEGIN{while((getline l < "x")>0) print l}',
        '{print | "sh"}',
        '"cmd" |& getline',
        'BEGIN{ARGV[1]="x"}',
        '@include "x"',
        'NR > 1 { print $2 > "x" }',
        '{print a,\n b > "f"}',
        '{ print $1 >> "f" }',
        '{ printf "%d\\n", $1 > 2 }',
        '{ if (x) /"/; system("id") }',
        '{ x++ / 2; system("x") }',
        "length /x/",
        '{ gsub(/[/]/, "X") }',
        '{ print "unterminated }',
        "{ x = PROCINFO[1] }",
        "(",
    ],
)
def test_awk_programs_that_reach_out_or_cannot_be_read(program: str) -> None:
    assert awk_danger(program) is not None

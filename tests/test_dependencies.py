"""The declared dependency bounds, and the script that pins them for ``make test-min-deps``."""

from __future__ import annotations

import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "min_deps.py"


def min_pins() -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return dict(line.split("==") for line in out.splitlines())


def test_min_deps_pins_the_bounds_raised_for_known_reasons() -> None:
    # These bounds were raised when make test-min-deps failed below them; this keeps them
    # from being lowered by mistake (only make test-min-deps shows the suite passes there).
    # The fake server needs uvicorn 0.36 (Config.get_loop_factory); feedparser 6.0.0 and
    # 6.0.1 are yanked; the mcp SDK (installed by that run) requires pydantic 2.12, so
    # 2.12 is the lowest pydantic the run can check, and the core floor says 2.12 too.
    pins = min_pins()
    assert pins["uvicorn"] == "0.36"
    assert pins["feedparser"] == "6.0.2"
    assert pins["pydantic"] == "2.12"
    # Jinja2 below 3.1.6 has known sandbox escapes, and prompt templates rely on the sandbox.
    assert pins["jinja2"] == "3.1.6"
    # usearch 2.12 crashes adding to a graph after removals; 2.13 fell short on recall.
    assert pins["usearch"] == "2.14"
    # lupa.lua54 and LuaRuntime(max_memory=...) arrive in lupa 2.0; the scripting engine needs both.
    assert pins["lupa"] == "2.0"


def test_min_deps_pins_every_bound_once_at_its_highest_and_skips_other_platforms() -> None:
    script = runpy.run_path(str(SCRIPT))
    project = {
        "project": {
            "dependencies": ["a>=1.0", "b"],
            "optional-dependencies": {
                "x": ["a>=1.2", "c>=2; sys_platform == 'no-such-platform'", "d==3.1"],
            },
        },
        "dependency-groups": {"dev": ["E_f>=0.5,<1", {"include-group": "x"}]},
    }
    assert {k: str(v) for k, v in script["pins"](project).items()} == {
        "a": "1.2",
        "d": "3.1",
        "e-f": "0.5",
    }


def test_min_deps_lists_every_extra_for_the_install() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--extras"], capture_output=True, text=True, check=True
    ).stdout
    assert set(out.strip().split(",")) == {
        "testing",
        "serve",
        "eval",
        "mcp",
        "feed",
        "otel",
        "workflow",
        "prompts",
        "output",
        "postgres",
        "tokens",
        "vectors",
        "ann",
        "local-embed",
        "dbos",
        "lua",
        "js",
        "capi",
        "ray",
    }


def test_support_matrix_is_declared_in_pyproject_and_readme() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    classifiers = set(project["classifiers"])
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert project["requires-python"] == ">=3.11"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Supported platforms", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[1].strip() for line in table.splitlines()[2:]}
    assert rows == {"Linux", "macOS", "Windows"}


def test_the_smoke_run_finds_installed_pythons_and_skips_absent_ones() -> None:
    found = subprocess.run(
        ["sh", str(ROOT / ".ci" / "find_python"), f"{sys.version_info[0]}.{sys.version_info[1]}"],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0
    version = subprocess.run(
        [found.stdout.strip(), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == str(sys.version_info[:2])
    absent = subprocess.run(["sh", str(ROOT / ".ci" / "find_python"), "2.1"], capture_output=True)
    assert absent.returncode == 1 and absent.stdout == b""

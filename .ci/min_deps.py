"""Print pip constraints that pin every declared dependency of llmkit to its lower bound.

Reads pyproject.toml: the runtime dependencies, every extra and every dependency
group. Each requirement with a lower bound (``>=``, ``==``, ``~=``) becomes
``name==bound``; one named in several places gets its highest bound. Requirements
whose environment marker does not hold here are left out. ``make test-min-deps``
installs llmkit with these constraints and runs the suite, so a bound that is too
low fails CI instead of a user's install.

Usage: python .ci/min_deps.py [--extras]   (--extras prints the comma-separated extras instead)
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def lower_bound(requirement: Requirement) -> Version | None:
    """The lowest version ``requirement`` admits by its own specifier, if it names one."""
    bounds = [
        Version(spec.version)
        for spec in requirement.specifier
        if spec.operator in (">=", "==", "~=", "===") and "*" not in spec.version
    ]
    return max(bounds) if bounds else None


def pins(project: dict[str, object]) -> dict[str, Version]:
    """Every dependency of ``project`` (a parsed pyproject.toml) with its lower bound."""
    meta = project["project"]
    assert isinstance(meta, dict)
    lines: list[str] = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        lines.extend(extra)
    groups = project.get("dependency-groups", {})
    assert isinstance(groups, dict)
    for group in groups.values():
        lines.extend(item for item in group if isinstance(item, str))  # skip include-group tables
    found: dict[str, Version] = {}
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        bound = lower_bound(requirement)
        if bound is None:
            continue
        name = canonicalize_name(requirement.name)
        found[name] = max(bound, found.get(name, bound))
    return found


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if sys.argv[1:] == ["--extras"]:
        print(",".join(project["project"].get("optional-dependencies", {})))
        return
    for name, version in sorted(pins(project).items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()

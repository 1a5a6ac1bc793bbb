"""Every `optiform ...` command the README and the notebooks name exists, with every option they
give it (a command or option renamed in the code and not in the docs fails here)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from optiform.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]
INLINE = re.compile(r"`(optiform (?:[a-z-]+|--[a-z-]+)[^`]*)`")
LINE = re.compile(r"^\s*!?(optiform (?:[a-z-]+|--[a-z-]+).*)$")


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells)
    return path.read_text(encoding="utf-8")


def _commands(path: Path) -> list[str]:
    text = _text(path)
    found = [m.group(1) for m in INLINE.finditer(text)]
    in_block = False
    for line in text.replace("\\\n", " ").splitlines():  # shell line continuations joined
        if line.strip().startswith("```"):
            in_block = not in_block
            continue
        m = LINE.match(line)
        if m and (in_block or path.suffix == ".ipynb" or line.startswith("    ")):
            found.append(m.group(1))
    return [c.split(" #")[0].strip() for c in found]


CASES = [(p.name, c) for p in DOCS for c in _commands(p)]


def test_the_docs_name_commands() -> None:
    names = {name for name, _ in CASES}
    assert {"README.md", "01-quickstart.ipynb"} <= names and len(CASES) > 30


def _options(command: Any) -> set[str]:
    return {"--help"} | {opt for p in command.params for opt in [*p.opts, *p.secondary_opts]}


@pytest.mark.parametrize(("doc", "line"), CASES, ids=[f"{d}: {c[:50]}" for d, c in CASES])
def test_documented_command_exists(doc: str, line: str) -> None:
    root = typer.main.get_command(app)
    tokens = shlex.split(line.replace("…", "X").replace("...", "X"))
    assert tokens[0] == "optiform"
    allowed = _options(root)
    command: Any = root  # click commands (typer's vendored click)
    rest = tokens[1:]
    while hasattr(command, "commands") and rest:
        token = rest[0]
        if token.startswith("-"):
            assert token.split("=")[0] in allowed, f"{doc}: {line!r}: no global option {token}"
            rest = rest[1:] if token in ("--help", "--version") or "=" in token else rest[2:]
            continue
        assert token in command.commands, f"{doc}: {line!r}: no command {token!r} (have {', '.join(command.commands)})"
        command = command.commands[token]
        allowed |= _options(command)
        rest = rest[1:]
    for token in rest:
        if token.startswith("-") and not re.fullmatch(r"-\d.*", token):
            assert token.split("=")[0] in allowed, f"{doc}: {line!r}: {command.name} has no option {token}"

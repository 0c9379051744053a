"""The rules of the house that code review alone would let slip (DESIGN.md).

Which package may import which (layers, Textual only in gomoq.tui, httpx only in gomoq.api, the
sandbox only from its two commands, no cycles) is written once, in pyproject.toml
`[tool.importlinter]`, and checked by `lint-imports` (.ci/run); these are the rest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gomoq

PACKAGE = Path(gomoq.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _modules_outside(*allowed: str) -> list[Path]:
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if not any(p.is_relative_to(PACKAGE / sub) for sub in allowed)
    ]


def test_core_import_does_not_load_textual() -> None:
    """At run time too: importing the core (CLI, services, checks) must not pull Textual in."""
    code = (
        "import sys, importlib, pkgutil, gomoq\n"
        "for m in pkgutil.walk_packages(gomoq.__path__, 'gomoq.'):\n"
        "    if '.tui' in m.name or m.name.endswith('app_cmd') or m.name.endswith('demo_cmd'):\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_only_where_polars_has_no_equivalent() -> None:
    # numpy is there for two jobs polars does not do: hashing finding ids from Arrow buffers
    # (gomoq/checks/ids.py) and the duplicates model's EM rounds over a few hundred comparison
    # patterns (gomoq/checks/dup_model.py). Everything else stays in polars.
    allowed = {"checks/ids.py", "checks/dup_model.py"}
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "numpy" in _imported_roots(p) and p.relative_to(PACKAGE).as_posix() not in allowed
    ]
    assert offenders == [], f"numpy imported outside {sorted(allowed)}: {offenders}"


def test_help_loads_neither_polars_nor_textual_nor_the_sandbox() -> None:
    """`gomoq --help` imports every command's module (for their short help): start-up stays
    light only if none of them loads polars, Textual or the sandbox's web server at import."""
    code = (
        "import sys\n"
        "from gomoq.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('polars', 'textual', 'starlette', 'uvicorn', 'gomoq.sandbox')\n"
        "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == ""
    assert "demo" in out.stdout

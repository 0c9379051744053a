"""`gomoq --help` lists export, segment and audience without loading polars (lazy commands)."""

from __future__ import annotations

import subprocess
import sys


def test_help_does_not_load_polars() -> None:
    code = (
        "import sys\n"
        "from gomoq.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('polars' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert any(line.strip().startswith("segment") for line in lines)
    assert any(line.strip().startswith("audience") for line in lines)
    assert lines[-1] == "False"

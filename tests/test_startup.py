"""Help and usage start without loading torch: sub-command packages import their heavy modules on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import polemos.series
import polemos.tabular


@pytest.mark.parametrize("args", [["--help"], ["tabular", "--help"], ["series", "fit", "--help"]])
def test_help_does_not_import_torch(args) -> None:
    code = (
        "import sys\nfrom polemos.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout[-300:]


@pytest.mark.parametrize("package", [polemos.tabular, polemos.series])
def test_every_public_name_resolves_and_unknown_ones_fail(package) -> None:
    for name in package.__all__:
        assert getattr(package, name).__name__ == name
        assert name in dir(package)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        package.nope  # noqa: B018

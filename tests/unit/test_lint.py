import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is missing: pip install -e '.[test]'"
    result = subprocess.run([ruff, "check", "dualpy", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_launcher_compiles_without_warnings(tmp_path):
    from dualpy.launcher import COMPILE_FLAGS, source_path

    result = subprocess.run(["cc", *COMPILE_FLAGS, "-Wall", "-Wextra", "-o", str(tmp_path / "python"),
                             str(source_path())], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr

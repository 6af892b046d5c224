"""Static verify against hostile wheels: wall time and peak memory per wheel, each in a fresh interpreter.

Goals (issue 13): a 20,000-file wheel in under 2 s; a 4 GiB zip bomb (4 MB on disk) judged in under 200 MB.
The wheels are made in a temp directory by tests/unit/wheelcraft.py. No goal is asserted here; the unit tests
assert the memory bound, the wall-time goal is a figure to watch.

Run: python benchmarks/verify_hostile.py [--quick]   (prints JSON)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.wheelcraft import GiB, MiB, make_wheel, wheel_members, zip_bomb  # noqa: E402

PURE = "demo-1.0-py3-none-any.whl"

_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from dualpy.verify.archive import Limits
from dualpy.verify.static import check_wheel
started = time.perf_counter()
results, _ = check_wheel(Path(sys.argv[1]), Limits(inflated_bytes=int(sys.argv[2])))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": round(seconds, 3),
                  "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "verdicts": {r.check: r.status.value for r in results},
                  "zip": next((r.message for r in results if r.check == "wheel.zip"), "")}))
"""


def _judge(path: Path, inflated_bound: int = 4 * GiB) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(path), str(inflated_bound)], capture_output=True,
                          text=True, env=env, check=True)
    outcome: dict[str, Any] = json.loads(done.stdout)
    failed = sorted(check for check, status in outcome.pop("verdicts").items() if status == "fail")
    outcome["failed"] = failed
    outcome["disk_mib"] = round(path.stat().st_size / MiB, 2)
    return outcome


def _zeros_checksums(size: int) -> tuple[int, str]:
    crc, digest, block = 0, hashlib.sha256(), bytes(MiB)
    for _ in range(size // MiB):
        crc = zlib.crc32(block, crc)
        digest.update(block)
    return crc, "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def measure(quick: bool = False) -> dict[str, Any]:
    """Time and peak memory of `check_wheel` on each hostile shape."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        here = Path(directory)
        files = {f"demo/m{i}.py": f"x = {i}\n".encode() for i in range(20_000)}
        figures["files_20000"] = _judge(make_wheel(here, PURE, files, compression=zipfile.ZIP_DEFLATED))
        (here / PURE).unlink()
        figures["bomb_4gib"] = _judge(zip_bomb(here, PURE, 4 * GiB))
        figures["bomb_4gib_declaring_256mib"] = _judge(zip_bomb(here, PURE, 4 * GiB, declared=256 * MiB))
        size = 1 * GiB if quick else 4 * GiB
        crc, digest = _zeros_checksums(size)
        key = f"bomb_{size // GiB}gib_inflated_whole_bound_raised"
        figures[key] = _judge(zip_bomb(here, PURE, size, crc=crc, record_digest=digest), inflated_bound=8 * GiB)
        members = wheel_members(PURE, {"demo/__init__.py": b""})
        record = members["demo-1.0.dist-info/RECORD"].decode() + "\n" * 40_000_000
        figures["record_40m_blank_lines"] = _judge(make_wheel(here, PURE, {"demo/__init__.py": b""}, record=record,
                                                              compression=zipfile.ZIP_DEFLATED))
    figures["goals"] = {"files_20000_seconds": 2.0, "bomb_peak_mib": 200}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="inflate a 1 GiB bomb whole instead of 4 GiB")
    args = parser.parse_args()
    started = time.monotonic()
    figures = measure(args.quick)
    figures["suite_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

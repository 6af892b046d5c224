"""Time `python -S -c pass` through the launcher and by direct exec, interleaved; print JSON.

Run inside an image: python launcher_timing.py RUNS   (stdlib only).
"""

import json
import os
import statistics
import sys
import time
from typing import Any

CASES: dict[str, tuple[list[str], list[str], dict[str, str]]] = {
    # name: (launcher argv, direct argv, extra environment)
    "gil": (["/usr/local/bin/python"], ["/opt/python/cp313-cp313/bin/python3.13"], {}),
    "freethreaded": (["/usr/local/bin/python"], ["/opt/python/cp313-cp313t/bin/python3.13t"], {"PYTHON_GIL": "0"}),
}


def spawn_seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv + ["-S", "-c", "pass"], env)
    os.waitpid(pid, 0)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1])
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    report: dict[str, dict[str, Any]] = {}
    for name, (through_launcher, direct, extra) in CASES.items():
        env = {**base_env, **extra}
        for _ in range(20):  # warm the page cache and the byte-code cache
            spawn_seconds(through_launcher, env)
            spawn_seconds(direct, env)
        launcher_times: list[float] = []
        direct_times: list[float] = []
        for _ in range(runs):
            launcher_times.append(spawn_seconds(through_launcher, env))
            direct_times.append(spawn_seconds(direct, env))
        report[name] = {
            "launcher_median_ms": statistics.median(launcher_times) * 1000,
            "direct_median_ms": statistics.median(direct_times) * 1000,
            "ratio": statistics.median(launcher_times) / statistics.median(direct_times),
            "runs": runs,
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

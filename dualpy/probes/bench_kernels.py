"""CPU-bound pure-Python kernels timed inside one interpreter; prints one JSON document.

Run as: python bench_kernels.py THREADS REPEAT  (stdlib only: it runs in bare interpreters).
Each thread or process does the same fixed amount of work, so throughput speed-up at n workers is
n * T(1) / T(n): about 1 for a GIL build, approaching n for a free-threaded one.
"""

import json
import multiprocessing
import os
import statistics
import sys
import sysconfig
import threading
import time
from collections.abc import Callable
from multiprocessing.pool import Pool
from typing import Any


def int_loop(n: int = 4_000_000) -> int:
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def dict_str(n: int = 400_000) -> int:
    table: dict[str, int] = {}
    for i in range(n):
        table[f"key{i}"] = i
    total = 0
    for i in range(n):
        total += table[f"key{i // 2}"]
    return total


def tree_walk(depth: int = 21) -> int:
    # An implicit binary tree walked recursively: call-heavy, allocation-free (3.13t's GC is not
    # generational, so a kernel that builds millions of objects would measure the collector instead).
    def walk(level: int) -> int:
        return 1 if level == 0 else 1 + walk(level - 1) + walk(level - 1)

    return walk(depth)


def float_kernel(n: int = 300) -> int:
    inside = 0
    for y in range(n):
        for x in range(n):
            c = complex(-2.0 + 2.5 * x / n, -1.25 + 2.5 * y / n)
            z = 0j
            for _ in range(30):
                z = z * z + c
                if abs(z) > 2.0:
                    break
            else:
                inside += 1
    return inside


KERNELS: dict[str, Callable[[], int]] = {
    "int_loop": int_loop, "dict_str": dict_str, "tree_walk": tree_walk, "float_kernel": float_kernel,
}


def timed_threads(kernel: Callable[[], int], workers: int) -> float:
    threads = [threading.Thread(target=kernel) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _run_kernel(name: str) -> None:
    KERNELS[name]()


def timed_processes(pool: Pool, name: str, workers: int) -> float:
    start = time.perf_counter()
    pool.map(_run_kernel, [name] * workers, chunksize=1)
    return time.perf_counter() - start


def main() -> None:
    max_workers = int(sys.argv[1])
    repeat = int(sys.argv[2])
    kernels: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {
        "executable": sys.executable,
        "version": sys.version.split()[0],
        "Py_GIL_DISABLED": sysconfig.get_config_var("Py_GIL_DISABLED"),
        "cpu_count": os.cpu_count(),
        "kernels": kernels,
    }
    context = multiprocessing.get_context("fork")
    with context.Pool(max_workers) as pool:
        pool.map(_run_kernel, ["int_loop"] * max_workers)  # warm the workers up
        for name, kernel in KERNELS.items():
            kernel()  # warm-up
            single = [timed_threads(kernel, 1) for _ in range(repeat)]
            threads = {}
            processes = {}
            for workers in range(1, max_workers + 1):
                threads[str(workers)] = statistics.median(timed_threads(kernel, workers) for _ in range(repeat))
                processes[str(workers)] = statistics.median(
                    timed_processes(pool, name, workers) for _ in range(repeat)
                )
            kernels[name] = {"single": single, "threads": threads, "processes": processes}
    result["gil_enabled_after"] = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

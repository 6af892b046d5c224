"""Install and import wheels under this interpreter, each in a fresh venv; print one JSON document.

Run inside an image: python verify_wheels.py REQUEST_JSON   (needs `packaging`, which dualpy images have).
"""

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import packaging
from packaging.tags import Tag, sys_tags
from packaging.utils import parse_wheel_filename

FIRST_ABI3T = (3, 15)  # PEP 803: the stable ABI of free-threaded builds

IMPORT_TIMEOUT = 300  # seconds for one module's import: a hang becomes that module's failure, not the run's


def tail(text: str, lines: int = 20) -> str:
    """The last lines of a command's output; a leading "…" says when earlier lines were left out."""
    kept = text.strip().splitlines()
    return ("…\n" if len(kept) > lines else "") + "\n".join(kept[-lines:])


def loadable(module: str, filename: str) -> bool:
    """Whether `import module` here finds this extension file: its name is the module's plus a suffix of this
    interpreter's EXTENSION_SUFFIXES (which end in a bare ".so", so a suffix alone proves nothing)."""
    stem = module.rpartition(".")[2]
    return any(filename == stem + suffix for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def import_plan(wheel: dict[str, Any]) -> list[str]:
    """The modules to import: the top-level ones, then every extension module this interpreter can load."""
    modules = list(wheel["modules"])
    for module, filename in wheel.get("extensions", []):
        if module not in modules and loadable(module, filename):
            modules.append(module)
    return modules


def import_one(python: str, module: str, env: dict[str, str], child: str) -> dict[str, Any]:
    """Import one module in a fresh interpreter (child: import_child.py's source); its result, or how it died."""
    try:
        done = subprocess.run([python, "-c", child, module], capture_output=True, text=True, cwd="/tmp",
                              env=env, timeout=IMPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"ok": False, "crashed": True, "returncode": None,
                "error": f"the import did not finish in {IMPORT_TIMEOUT}s"}
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "crashed": True, "returncode": done.returncode,
                "error": f"the interpreter died (exit {done.returncode}): {tail(done.stdout + done.stderr)}"}
    return result


def supported_tags(tags: set[Tag], version: tuple[int, int], freethreaded: bool) -> set[Tag]:
    """The tags a wheel may carry to install here: packaging's, plus abi3t ones when packaging predates them.

    packaging learnt abi3t in 26.1; an older one in the image would make an abi3.abi3t wheel look foreign to a
    free-threaded 3.15, and the wheel would go untested there. The added tags mirror packaging 26.1 (cp32 up to
    this minor, on this interpreter's platforms); whether pip installs the wheel is still pip's own verdict.
    """
    if not freethreaded or version < FIRST_ABI3T or any(t.abi == "abi3t" for t in tags):
        return tags
    own = f"cp{version[0]}{version[1]}"
    platforms = {t.platform for t in tags if t.interpreter == own}
    return tags | {Tag(f"cp3{minor}", "abi3t", p) for minor in range(2, version[1] + 1) for p in platforms}


def check(wheel: dict[str, Any], index: int, request: dict[str, Any], supported: set[Tag]) -> dict[str, Any]:
    path = str(Path(request["wheelhouse"]) / wheel["file"])
    _name, _version, _build, tags = parse_wheel_filename(wheel["file"])
    result: dict[str, Any] = {"file": wheel["file"], "matched": bool(tags & supported)}
    if not result["matched"]:
        return result
    venv = f"/tmp/dualpy-verify/{index}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = str(Path(venv) / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
           "--root-user-action=ignore"]
    # The wheel alone first, so that a dependency the index cannot give is not blamed on the wheel.
    done = subprocess.run([*pip, "--no-deps", "--no-index", path], capture_output=True, text=True)
    result["install"] = {"ok": done.returncode == 0, "output": tail(done.stdout + done.stderr)}
    if done.returncode != 0:
        return result
    if request["with_deps"]:  # as cibuildwheel's test step: its dependencies from the index (and the wheelhouse)
        deps = subprocess.run([*pip, "--find-links", request["wheelhouse"], path], capture_output=True, text=True)
        result["dependencies"] = {"ok": deps.returncode == 0, "output": tail(deps.stdout + deps.stderr)}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONPATH")}
    result["import"] = {module: import_one(python, module, env, request["import_child"])
                        for module in import_plan(wheel)}
    if request.get("test_command"):
        env["PATH"] = str(Path(venv) / "bin") + ":" + env.get("PATH", "")
        env["VIRTUAL_ENV"] = venv
        tested = subprocess.run(["/bin/sh", "-c", request["test_command"]], capture_output=True, text=True,
                                cwd="/tmp", env=env)
        result["test_command"] = {"ok": tested.returncode == 0, "returncode": tested.returncode,
                                  "output": tail(tested.stdout + tested.stderr)}
    return result


def main() -> None:
    request = json.loads(sys.argv[1])
    freethreaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    supported = supported_tags(set(sys_tags()), (sys.version_info[0], sys.version_info[1]), freethreaded)
    print(json.dumps({
        "interpreter": sys.executable,
        "version": sys.version.split()[0],
        "packaging": getattr(packaging, "__version__", "?"),
        "Py_GIL_DISABLED": sysconfig.get_config_var("Py_GIL_DISABLED"),
        "wheels": [check(wheel, i, request, supported) for i, wheel in enumerate(request["wheels"])],
    }))


if __name__ == "__main__":
    main()

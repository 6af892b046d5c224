"""Install and import wheels under this interpreter, each in a fresh venv; print one JSON document.

Run inside an image: python verify_wheels.py REQUEST_JSON   (needs `packaging`, which dualpy images have).
"""

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

IMPORT_CHILD = r"""
import importlib, json, re, sys, traceback, warnings
results, reenabled = {}, []
for module in sys.argv[1:]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importlib.import_module(module)
            results[module] = {"ok": True}
        except BaseException as exc:
            results[module] = {"ok": False, "error": traceback.format_exception_only(type(exc), exc)[-1].strip()}
    for warning in caught:
        text = str(warning.message)
        if "GIL" in text and "enabled" in text:
            found = re.search(r"load module '([^']+)'", text)
            reenabled.append(found.group(1) if found else module)
print(json.dumps({"modules": results, "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(),
                  "gil_reenabled_by": reenabled}))
"""


def tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


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
    install = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
               "--root-user-action=ignore", path]
    if not request["with_deps"]:
        install[-1:-1] = ["--no-deps", "--no-index"]
    done = subprocess.run(install, capture_output=True, text=True)
    result["install"] = {"ok": done.returncode == 0, "output": tail(done.stdout + done.stderr)}
    if done.returncode != 0:
        return result
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_GIL", "PYTHONPATH")}
    imported = subprocess.run([python, "-c", IMPORT_CHILD, *wheel["modules"]], capture_output=True, text=True,
                              cwd="/tmp", env=env)
    try:
        result["import"] = json.loads(imported.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result["import"] = {"crashed": True, "output": tail(imported.stdout + imported.stderr),
                            "returncode": imported.returncode}
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

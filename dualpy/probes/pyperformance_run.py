"""Install pyperformance into a venv of this interpreter and run a benchmark list; print pyperf's JSON last.

Run as: python pyperformance_run.py REQUEST_JSON  (stdlib only: it runs in bare interpreters).
REQUEST_JSON: {"version": "1.14.0", "benchmarks": ["nbody", ...], "fast": true, "inherit": ["PIP_CERT", ...]}.
pyperformance's own output goes to stderr so that stdout's last line is the pyperf result document.
With "list": "all" (a group name) instead of "benchmarks", the last line is {"benchmarks": [names]}: what
`pyperformance list -b all` names, nothing run.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    request = json.loads(sys.argv[1])
    work = Path(tempfile.mkdtemp(prefix="dualpy-pyperformance-"))
    venv = work / "tool"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
    tool = venv / "bin"
    subprocess.run([str(tool / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"pyperformance=={request['version']}"], check=True, stdout=sys.stderr)
    installed = time.monotonic()
    if request.get("list"):
        listing = subprocess.run([str(tool / "pyperformance"), "list", "--benchmarks", request["list"]], cwd=work,
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
        print(json.dumps({"benchmarks": [line[2:].strip() for line in listing.splitlines() if line.startswith("- ")]}))
        return
    output = work / "result.json"
    command = [str(tool / "pyperformance"), "run", "--python", sys.executable, "--output", str(output),
               "--benchmarks", ",".join(request["benchmarks"])]
    if request.get("fast"):
        command.append("--fast")
    inherit = [name for name in request.get("inherit", []) if name in os.environ]
    if inherit:
        command += ["--inherit-environ", ",".join(inherit)]
    # The benchmark venvs go under the working directory (pyperformance's default: ./venv/).
    # pyperformance exits non-zero when one benchmark fails but still writes the others: read what is there.
    completed = subprocess.run(command, cwd=work, stdout=sys.stderr)
    if not output.exists():
        sys.exit(completed.returncode or 1)
    with output.open() as handle:
        document = json.load(handle)
    document["dualpy"] = {"exit_code": completed.returncode, "install_seconds": round(installed - started, 1),
                          "run_seconds": round(time.monotonic() - installed, 1)}
    print(json.dumps(document, separators=(",", ":")))


if __name__ == "__main__":
    main()

"""Install pyperformance into a venv of this interpreter and run a benchmark list; print pyperf's JSON last.

Run as: python pyperformance_run.py REQUEST_JSON  (stdlib only: it runs in bare interpreters).
REQUEST_JSON: {"version": "1.14.0", "benchmarks": ["nbody", ...], "fast": true, "inherit": ["PIP_CERT", ...]}.
pyperformance's own output goes to stderr so that stdout's last line is the pyperf result document.
"""

import json
import os
import subprocess
import sys
import tempfile
import time


def main() -> None:
    request = json.loads(sys.argv[1])
    work = tempfile.mkdtemp(prefix="dualpy-pyperformance-")
    venv = os.path.join(work, "tool")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=sys.stderr)
    tool = os.path.join(venv, "bin")
    subprocess.run([os.path.join(tool, "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"pyperformance=={request['version']}"], check=True, stdout=sys.stderr)
    installed = time.monotonic()
    output = os.path.join(work, "result.json")
    command = [os.path.join(tool, "pyperformance"), "run", "--python", sys.executable, "--output", output,
               "--benchmarks", ",".join(request["benchmarks"])]
    if request.get("fast"):
        command.append("--fast")
    inherit = [name for name in request.get("inherit", []) if name in os.environ]
    if inherit:
        command += ["--inherit-environ", ",".join(inherit)]
    # The benchmark venvs go under the working directory (pyperformance's default: ./venv/).
    # pyperformance exits non-zero when one benchmark fails but still writes the others: read what is there.
    completed = subprocess.run(command, cwd=work, stdout=sys.stderr)
    if not os.path.exists(output):
        sys.exit(completed.returncode or 1)
    with open(output) as handle:
        document = json.load(handle)
    document["dualpy"] = {"exit_code": completed.returncode, "install_seconds": round(installed - started, 1),
                          "run_seconds": round(time.monotonic() - installed, 1)}
    print(json.dumps(document, separators=(",", ":")))


if __name__ == "__main__":
    main()

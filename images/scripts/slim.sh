#!/bin/bash
# Trim the assembled interpreters for `--target runtime`: what running Python and `pip install` of a wheel
# need stays; headers, static and debug data, build tools and tests go.
set -euo pipefail
cd /opt/python
rm -rf cp39-cp39 .dualpy-dedupe.json  # cibuildwheel's helper path: a build-container need only
for prefix in cp3*-cp3*; do
    rm -rf "$prefix/include" "$prefix"/lib/pkgconfig "$prefix"/bin/idle3* "$prefix"/bin/*-config
    for lib in "$prefix"/lib/python3.*; do
        rm -rf "$lib"/config-3.* "$lib"/idlelib "$lib"/tkinter "$lib"/turtledemo "$lib"/test
        # CPython's own test extensions (_testcapi, _testinternalcapi, xxlimited, ...): only its test suite loads them.
        rm -f "$lib"/lib-dynload/_test*.so "$lib"/lib-dynload/xx*.so "$lib"/lib-dynload/_xxtestfuzz*.so
    done
done
find /opt/python -depth -type d \( -name tests -o -name test -o -name idle_test -o -name __pycache__ \) \
    -path '*/lib/python3.*' -exec rm -rf '{}' +
find /opt/python -type f \( -name '*.a' -o -name '*.pyc' \) -delete
# Debug symbols are most of a C extension's size.
find /opt/python -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec sh -c \
    'for f; do head -c4 "$f" | grep -q ELF && strip --strip-unneeded "$f"; done; true' sh '{}' +
# The build tools live in /opt/_internal, which the runtime image leaves out: so do their links.
rm -f /usr/local/bin/auditwheel /usr/local/bin/patchelf /usr/local/bin/uv
# Identical files of the two builds are stored once again (strip may have replaced a link by a copy).
export PYTHONDONTWRITEBYTECODE=1
python=$(ls -d /opt/python/cp3*-cp3* | head -n 1)/bin/python
"$python" /dualpy/build/dedupe.py /opt/python

#!/bin/bash
# Build one CPython variant from a verified tarball into PREFIX, then drop what a runtime does not need.
# Usage: build-cpython.sh TARBALL PREFIX [CONFIGURE_FLAG ...]
set -euo pipefail
tarball=$1
prefix=$2
shift 2

work=$(mktemp -d)
tar -xJf "$tarball" -C "$work" --strip-components=1
cd "$work"
./configure --prefix="$prefix" --build="$(gcc -dumpmachine)" "$@"
make -j"$(nproc)"
make install
# Recorded for `benchmarks/`: what a plain `make install` weighs before the clean-up below.
du -sb "$prefix" | cut -f1 > "$prefix/.dualpy-make-install-bytes"

# Test suites, static libraries and byte-code caches are build leftovers, as in docker-library/python.
find "$prefix" -depth \
    \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
    -o \( -type f -a \( -name 'libpython*.a' -o -name '*.pyc' -o -name '*.pyo' \) \) \) \
    -exec rm -rf '{}' +
find "$prefix" -depth -type d -name __pycache__ -exec rm -rf '{}' +

# Strip ELF files only (bin/ also holds shell and Python scripts).
find "$prefix" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0 |
    while IFS= read -r -d '' file; do
        if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            strip --strip-unneeded "$file"
        fi
    done

cd /
rm -rf "$work"

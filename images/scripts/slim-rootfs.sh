#!/bin/bash
# The runtime image's Debian part: the interpreters' shared libraries and the CA bundle, nothing to document
# or translate (what debian's -slim images leave out too), no package lists.
# Usage: slim-rootfs.sh PACKAGE...
set -euo pipefail
cat > /etc/dpkg/dpkg.cfg.d/dualpy-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
apt-get update
apt-get install -y --no-install-recommends "$@"
apt-get clean
find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/* /var/lib/apt/lists/* /var/cache/debconf/*-old \
    /var/log/apt /var/log/dpkg.log
find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf '{}' +

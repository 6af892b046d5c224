"""Hardlink identical regular files under a root so one layer stores each content once; print a JSON summary.

The root is /opt/python, which holds every interpreter of the image (all minors, both builds), so a file that
two interpreters share (stdlib modules of the GIL and t build of one minor, bundled pip wheels across minors)
is stored once. Hardlinks cannot span layers: /opt/_internal and /usr/local are copied by their own COPY.
"""

import hashlib
import json
import os
import sys

_CHUNK = 1 << 20


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def main(root: str) -> None:
    by_size: dict[tuple[int, int, int, int], list[tuple[str, int]]] = {}
    for directory, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if not os.path.isfile(path) or os.path.islink(path) or info.st_size == 0:
                continue
            # Only files of one size, mode and owner can be merged: hash those groups alone.
            by_size.setdefault((info.st_size, info.st_mode, info.st_uid, info.st_gid), []).append((path, info.st_ino))
    linked = saved = 0
    for (size, *_rest), candidates in by_size.items():
        if len({inode for _path, inode in candidates}) < 2:
            continue
        by_content: dict[str, list[tuple[str, int]]] = {}
        for path, inode in candidates:
            by_content.setdefault(_sha256(path), []).append((path, inode))
        for members in by_content.values():
            keeper, keeper_inode = members[0]
            for path, inode in members[1:]:
                if inode == keeper_inode:
                    continue
                temp = path + ".dualpy-link"
                os.link(keeper, temp)
                os.replace(temp, path)
                linked += 1
                saved += size
    json.dump({"root": root, "files_linked": linked, "bytes_saved": saved}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""auditwheel's verdict on each wheel, plus which symbols need each libc version; print one JSON document.

Run inside an image with auditwheel's own interpreter (it has pyelftools): python manylinux_audit.py REQUEST_JSON
REQUEST: {"wheelhouse": DIR, "wheels": [FILE, ...]}
or, from a floor build's repair script: python manylinux_audit.py --external WHEEL (no auditwheel; the symbols of
the wheel's files and of each library from the system they link, the culprits when a floor cannot be met)
"""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from elftools.elf.elffile import ELFFile  # type: ignore[import-not-found,import-untyped,unused-ignore]  # in the image's auditwheel venv only
from elftools.elf.gnuversions import GNUVerNeedSection, GNUVerSymSection  # type: ignore[import-not-found,import-untyped,unused-ignore]

MAX_MEMBER = 256 << 20
AUDITWHEEL = str(Path(sys.executable).parent / "auditwheel")
# The libraries of glibc itself come from the system the wheel runs on: only their symbol versions count.
GLIBC_LIBRARIES = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
                   "libresolv.so.2", "libanl.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
LIBRARY_DIRS = ("/usr/local/lib", "/usr/local/lib64", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib")


def versioned_symbols(stream: IO[bytes]) -> dict[str, dict[str, list[str]]]:
    """{library: {version: [symbol, ...]}} of the undefined symbols an ELF file takes from its libraries."""
    elf = ELFFile(stream)
    needs: dict[int, tuple[str, str]] = {}
    versym: Any = None
    dynsym: Any = None
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for verneed, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    needs[aux.entry["vna_other"]] = (str(verneed.name), str(aux.name))
        elif isinstance(section, GNUVerSymSection):
            versym = section
        elif section.name == ".dynsym":
            dynsym = section
    found: dict[str, dict[str, list[str]]] = {}
    if versym is None or dynsym is None:
        return found
    for index, symbol in enumerate(dynsym.iter_symbols()):
        if symbol["st_shndx"] != "SHN_UNDEF" or not symbol.name:
            continue
        version_index = versym.get_symbol(index)["ndx"]
        if version_index in needs:
            library, version = needs[version_index]
            found.setdefault(library, {}).setdefault(version, []).append(symbol.name)
    return found


def scan(path: str) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    symbols: dict[str, dict[str, set[str]]] = {}
    needed: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not (info.filename.endswith(".so") or ".so." in info.filename) or info.file_size > MAX_MEMBER:
                continue
            data = io.BytesIO(archive.read(info))
            if data.getvalue()[:4] != b"\x7fELF":
                continue
            try:
                elf = ELFFile(data)
                dynamic: Any = elf.get_section_by_name(".dynamic")
                if dynamic is not None:
                    needed.update(t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED")
                data.seek(0)
                for library, versions in versioned_symbols(data).items():
                    for version, names in versions.items():
                        symbols.setdefault(library, {}).setdefault(version, set()).update(names)
            except Exception as exc:  # an ELF pyelftools cannot read: report, don't stop the others
                symbols.setdefault("?", {}).setdefault(f"unreadable: {exc}", set())
    return ({lib: {v: sorted(n)[:5] for v, n in versions.items()} for lib, versions in symbols.items()},
            sorted(needed))


def _find_library(name: str) -> str | None:
    for directory in LIBRARY_DIRS:
        path = Path(directory) / name
        if path.is_file():
            return str(path)
    return None


def external(path: str) -> dict[str, Any]:
    """The wheel's own versioned symbols, and those of each non-glibc library it links from the system."""
    symbols, needed = scan(path)
    with zipfile.ZipFile(path) as archive:
        inside = {PurePosixPath(name).name for name in archive.namelist()}
    libraries: dict[str, Any] = {}
    for name in needed:
        if name in GLIBC_LIBRARIES or name in inside or name.startswith("libpython"):
            continue
        found = _find_library(name)
        if found is None:
            libraries[name] = {"path": None, "symbols": {}}
            continue
        with Path(found).open("rb") as stream:
            versions = versioned_symbols(stream)
        libraries[name] = {"path": found, "symbols": {lib: {v: sorted(n)[:5] for v, n in vs.items()}
                                                      for lib, vs in versions.items()}}
    return {"wheel": Path(path).name, "symbols": symbols, "needed": needed, "external": libraries}


def main() -> None:
    if sys.argv[1] == "--external":
        print(json.dumps(external(sys.argv[2])))
        return
    request = json.loads(sys.argv[1])
    report: list[dict[str, Any]] = []
    for wheel in request["wheels"]:
        path = str(Path(request["wheelhouse"]) / wheel)
        entry: dict[str, Any] = {"wheel": wheel}
        shown = subprocess.run([AUDITWHEEL, "show", "--json", path], capture_output=True, text=True)
        if shown.returncode == 0:
            try:
                entry["auditwheel"] = json.loads(shown.stdout)
            except ValueError:
                entry["auditwheel_error"] = shown.stdout.strip()[-400:]
        else:
            entry["auditwheel_error"] = (shown.stderr or shown.stdout).strip()[-400:]
        try:
            entry["symbols"], entry["needed"] = scan(path)
        except (zipfile.BadZipFile, OSError) as exc:
            entry["scan_error"] = str(exc)
        report.append(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

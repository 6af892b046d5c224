"""ABIs: which builds a wheel's tags promise, whether its extension suffixes can load there, and pairing."""

from __future__ import annotations

import re
from collections import defaultdict

from packaging.tags import Tag

from dualpy.verify.archive import Findings
from dualpy.verify.model import CheckResult, WheelFacts, fail, passed, warn

EXT_SUFFIX = "wheel.ext-suffix"
ABI3_FREETHREADED = "wheel.abi3-freethreaded"
PAIRING = "wheelhouse.pairing"

_VERSIONED_EXT = re.compile(r"\.cpython-(\d+)(t?)-[^./]+\.so$")

# The stable-ABI suffix may carry the multiarch tuple (foo.abi3t-x86_64-linux-gnu.so): CPython 3.15 loads it
# (gh-122931) and lists it first in EXTENSION_SUFFIXES, so meson names limited-API extensions so; earlier
# Pythons load only the bare .abi3.so.
_STABLE_EXT = re.compile(r"\.(abi3t?)(-[^./]+)?\.so$")

_NATIVE = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll)$")

CP_ABI = re.compile(r"cp(\d)(\d+)(t?)$")

_CP_INTERPRETER = re.compile(r"cp(\d)(\d+)$")

_FIRST_ABI3T_MINOR = 15  # PEP 803: abi3t and .abi3t.so exist from CPython 3.15

def is_native(name: str) -> bool:
    return bool(_NATIVE.search(name))

def _extensions(names: list[str]) -> list[str]:
    """Extension modules of a wheel (auditwheel's vendored libraries under *.libs/ are not modules)."""
    return [n for n in names if n.endswith(".so") and not any(part.endswith(".libs") for part in n.split("/")[:-1])]

def extension_modules(names: list[str]) -> tuple[tuple[str, str], ...]:
    """(dotted module name, file name) of each extension module a wheel holds, sorted by module.

    zope/interface/_x.cpython-314t-x86_64-linux-gnu.so is zope.interface._x; a NAME.data/platlib/ or purelib/
    prefix is where installers put the rest, so it is dropped; files without an ABI suffix and paths that are no
    importable name (a vendored *.libs/ library, a stub package) are not modules.
    """
    found = []
    for name in _extensions(names):
        parts = name.split("/")
        if len(parts) > 2 and parts[0].endswith(".data"):
            if parts[1] not in ("platlib", "purelib"):
                continue
            parts = parts[2:]
        suffix = _VERSIONED_EXT.search(parts[-1]) or _STABLE_EXT.search(parts[-1])
        if suffix is None:
            continue
        dotted = [*parts[:-1], parts[-1][:suffix.start()]]
        if all(part.isidentifier() for part in dotted):
            found.append((".".join(dotted), parts[-1]))
    return tuple(sorted(found))

def interpreter_minor(interpreter: str) -> int | None:
    """3.X's minor X of a CPython interpreter tag (cp315 -> 15), None for py3 and others."""
    match = _CP_INTERPRETER.match(interpreter)
    return int(match[2]) if match and match[1] == "3" else None

def _abis(tags: frozenset[Tag]) -> set[str]:
    return {t.abi for t in tags}

def _freethreaded_abis(abis: set[str]) -> set[str]:
    return {a for a in abis if (m := CP_ABI.match(a)) and m[3]}

def check_stable_abi(wheel: str, tags: frozenset[Tag]) -> list[CheckResult]:
    """abi3 has no free-threaded form (cpython#111506); abi3t (PEP 803) exists from CPython 3.15."""
    abis = _abis(tags)
    interpreters = {t.interpreter for t in tags}
    if "abi3" in abis and (any(i.endswith("t") for i in interpreters) or _freethreaded_abis(abis)):
        return [fail(wheel, ABI3_FREETHREADED,
                      "an abi3 wheel claims a free-threaded tag; the limited API does not exist for free-threaded "
                      "builds (cpython#111506); use abi3t from 3.15 (PEP 803)")]
    if "abi3t" in abis:
        early = sorted(i for i in interpreters if (interpreter_minor(i) or 0) < _FIRST_ABI3T_MINOR)
        if early:
            return [fail(wheel, ABI3_FREETHREADED,
                          f"an abi3t wheel tagged {', '.join(early)}: abi3t exists from CPython 3.15 (PEP 803); "
                          "earlier free-threaded builds cannot load .abi3t.so")]
        if "abi3" in abis:
            return [passed(wheel, ABI3_FREETHREADED, "abi3.abi3t wheel: one wheel serves both builds (PEP 803)")]
        return [passed(wheel, ABI3_FREETHREADED, "abi3t wheel: the free-threaded builds (PEP 803)")]
    if "abi3" in abis:
        return [passed(wheel, ABI3_FREETHREADED, "abi3 wheel, GIL tags only")]
    return []

def _loads(extension: str, abi: str, minors: set[int]) -> bool:
    """Whether an interpreter of ABI `abi` (tag minors `minors`) imports this extension file."""
    versioned = _VERSIONED_EXT.search(extension)
    if versioned:
        return abi == f"cp{versioned[1]}{versioned[2]}"
    stable = _STABLE_EXT.search(extension)
    if stable is None or abi == "none":
        return False
    abi_match = CP_ABI.match(abi)
    if stable[2] and min(minors, default=0) < _FIRST_ABI3T_MINOR:  # the multiarch form loads from 3.15 only
        return False
    if stable[1] == "abi3":  # a free-threaded build never loads .abi3.so
        return abi == "abi3" or bool(abi_match and not abi_match[3])
    if abi == "abi3t":  # .abi3t.so: free-threaded builds from 3.15, and GIL builds from 3.15 too
        return True
    if abi_match:
        return int(abi_match[2]) >= _FIRST_ABI3T_MINOR
    return bool(minors) and min(minors) >= _FIRST_ABI3T_MINOR

def _describe(extension: str) -> str:
    versioned = _VERSIONED_EXT.search(extension)
    if versioned:
        kind = "free-threaded" if versioned[2] else "GIL"
        return f"a cp{versioned[1]}{versioned[2]} ({kind}) extension"
    stable = _STABLE_EXT.search(extension)
    if stable and stable[1] == "abi3t":
        return "an abi3t extension (CPython 3.15 and later)"
    return "an abi3 extension"

def check_suffixes(wheel: str, tags: frozenset[Tag], names: list[str]) -> CheckResult:
    """Each extension loads under some ABI the wheel claims, and each claimed ABI finds every extension module."""
    abis = _abis(tags)
    tagged = ", ".join(sorted(abis))
    minors = {m for t in tags if (m := interpreter_minor(t.interpreter)) is not None}
    extensions = _extensions(names)
    problems = Findings()
    if all(t.platform == "any" for t in tags):
        native = [n for n in names if is_native(n)]
        if native:
            more = f" (+{len(native) - 3} more)" if len(native) > 3 else ""
            problems.add("a platform-independent (any) wheel holds native code: " + ", ".join(native[:3]) + more)
    modules: dict[str, list[str]] = defaultdict(list)
    unloadable: set[str] = set()
    for name in extensions:
        suffix = _VERSIONED_EXT.search(name) or _STABLE_EXT.search(name)
        if suffix is None:
            problems.add(f"{name} has no ABI suffix; the interpreter cannot tell which build it is for")
            continue
        modules[name[:suffix.start()]].append(name)
        if not any(_loads(name, abi, minors) for abi in abis):
            problems.add(f"{name} is {_describe(name)} in a wheel tagged {tagged}{_why_unloadable(name, abis, minors)}")
            unloadable.add(name[:suffix.start()])
    for module, files in sorted(modules.items()):
        if module in unloadable:
            continue  # said above, file by file
        for problem in _abis_missing_a_file(module, files, abis, minors):
            problems.add(problem)
    if problems:
        return fail(wheel, EXT_SUFFIX, str(problems))
    if extensions:
        return passed(wheel, EXT_SUFFIX, f"{len(extensions)} extension(s) match {tagged}")
    if abis - {"none"}:
        return warn(wheel, EXT_SUFFIX, f"tagged {tagged} but holds no extension module")
    return passed(wheel, EXT_SUFFIX, "pure-Python wheel, no extensions")


def _why_unloadable(name: str, abis: set[str], minors: set[int]) -> str:
    """The reason, after a colon, that no claimed ABI loads this extension; '' when its description says it."""
    freethreaded = _freethreaded_abis(abis) or "abi3t" in abis
    stable = _STABLE_EXT.search(name)
    abi3 = stable is not None and stable[1] == "abi3"
    why = ": abi3 cannot load on a free-threaded build" if abi3 and freethreaded else ""
    if stable is not None and stable[2] and min(minors, default=0) < _FIRST_ABI3T_MINOR:
        why = ": the multiarch stable-ABI suffix loads from CPython 3.15 only (gh-122931)"
    return why


def _abis_missing_a_file(module: str, files: list[str], abis: set[str], minors: set[int]) -> list[str]:
    """One problem per claimed ABI that loads none of a module's extension files."""
    return [f"{module}: no file a {abi} build can load (the wheel is tagged {abi}; it holds "
            + ", ".join(f.rpartition("/")[2] for f in files) + ")"
            for abi in sorted(abis - {"none"}) if not any(_loads(f, abi, minors) for f in files)]


def _python_key(tags: frozenset[Tag]) -> tuple[str, str]:
    """(python, variant side) of a wheel: ('cp313', 'gil'|'t'), 'both' for py3-none-any and abi3.abi3t."""
    abis = _abis(tags)
    interpreters = sorted({t.interpreter for t in tags})
    if abis == {"none"}:
        return "any", "both"
    python = interpreters[0].removesuffix("t")
    if {"abi3", "abi3t"} <= abis:
        return python, "both"
    return python, "t" if "abi3t" in abis or _freethreaded_abis(abis) else "gil"

def filed_pythons(facts: list[WheelFacts]) -> dict[str, tuple[str, ...]]:
    """The Pythons ('cp314', 'any') each wheel is filed under, by file name.

    A wheel is filed under its interpreter tag's Python, except a stable-ABI one: its tag names the oldest Python
    it loads in, not the one it was built for. Beside the project's version-specific wheels it serves each of
    their Pythons from its own up (a cp36-abi3 wheel beside cp314t wheels is 3.14's GIL wheel, not a 3.6 wheel);
    its own Python counts only when the project builds for it too, or when nothing else says which it serves.
    """
    targets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for fact in facts:
        python, _side = _python_key(fact.tags)
        if python != "any" and not _abis(fact.tags) & {"abi3", "abi3t"}:
            targets[(fact.name, fact.version)].add(python)
    filed: dict[str, tuple[str, ...]] = {}
    for fact in facts:
        python, _side = _python_key(fact.tags)
        minor = interpreter_minor(python)
        if minor is None or not _abis(fact.tags) & {"abi3", "abi3t"}:
            filed[fact.path.name] = (python,)
            continue
        project = targets[(fact.name, fact.version)]
        later = {t for t in project if (interpreter_minor(t) or 0) >= minor}
        own = {python} if python in project or not later else set()
        filed[fact.path.name] = tuple(sorted(own | later, key=lambda t: interpreter_minor(t) or 0))
    return filed


def check_pairing(facts: list[WheelFacts]) -> list[CheckResult]:
    """For each project, version and Python: a GIL wheel needs a t twin and the reverse.

    py3-none-any and abi3.abi3t wheels serve both builds; a stable-ABI wheel (abi3, abi3t) also covers the other
    side of every later Python (cp315-abi3t is the t twin of cp316-cp316). A stable-ABI wheel filed only under
    later Pythons (filed_pythons) has no group of its own: its tag's Python is no Python the project builds for.
    """
    filed = filed_pythons(facts)
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    stable: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
    for fact in facts:
        python, side = _python_key(fact.tags)
        groups[(fact.name, fact.version, python)][side].append(fact.path.name)
        minor = interpreter_minor(python)
        if minor is not None and _abis(fact.tags) & {"abi3", "abi3t"}:
            stable[(fact.name, fact.version)].append((minor, side, fact.path.name))
    results = []
    for (name, version, python), sides in sorted(groups.items()):
        if all(python not in filed[f] for files in sides.values() for f in files):
            continue
        subject = f"{name} {version} {python}"
        minor = interpreter_minor(python)
        if "both" in sides:
            kind = "py3-none-any" if python == "any" else "abi3.abi3t"
            results.append(passed(subject, PAIRING, f"{sides['both'][0]} is {kind}: it serves both builds"))
        elif "gil" in sides and "t" in sides:
            results.append(passed(subject, PAIRING, f"{sides['gil'][0]} + {sides['t'][0]}"))
        else:
            have, need = ("gil", "t") if "gil" in sides else ("t", "gil")
            cover = next((f for m, side, f in sorted(stable[(name, version)])
                          if side in (need, "both") and minor is not None and m <= minor), None)
            if cover:
                results.append(passed(subject, PAIRING, f"{sides[have][0]} + {cover} (stable ABI)"))
            elif have == "gil":
                results.append(warn(subject, PAIRING, f"{sides['gil'][0]} has no free-threaded (t) twin"))
            else:
                results.append(warn(subject, PAIRING, f"{sides['t'][0]} has no GIL twin"))
    return results

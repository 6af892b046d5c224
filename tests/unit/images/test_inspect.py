"""`images inspect` reads the probe's lines and the launcher file into dataclasses; JSON shape as before (pure)."""

import json

from dualpy.images.inspect import ImageInspection, parse_inspection_output, parse_install_tags, targets_of

PROBE = {"path": "/opt/python/cp314-cp314t/bin/python", "version": "3.14.6", "abiflags": "t",
         "Py_GIL_DISABLED": 1, "gil_enabled": False, "EXT_SUFFIX": ".cpython-314t-x86_64-linux-gnu.so",
         "tags": ["cp314-cp314t-manylinux_2_36_x86_64"], "compiler": "Clang 19.1.7 ", "CC": "gcc"}
CONFIG = "# c\ndefault gil\ndefault-version 3.14\ninterpreter 3.14t /opt/python/cp314-cp314t/bin/python3.14t\n"


def test_probe_lines_and_launcher_become_the_documented_json():
    interpreters, launcher = parse_inspection_output(json.dumps(PROBE) + "\nnoise\n--- launcher\n" + CONFIG)
    document = ImageInspection("t", "sha256:1", 5, {"a": "b"}, interpreters, launcher).to_json()
    assert document == {
        "tag": "t", "id": "sha256:1", "size_bytes": 5, "labels": {"a": "b"}, "interpreters": [PROBE],
        "launcher": {"path": "/usr/local/bin/python", "config": "/usr/local/etc/dualpy-launcher.conf",
                     "default": "gil", "interpreters": {"3.14t": "/opt/python/cp314-cp314t/bin/python3.14t"}},
    }


def test_no_launcher_file_is_none():
    _interpreters, launcher = parse_inspection_output(json.dumps(PROBE) + "\n--- launcher\n")
    assert launcher is None


def test_the_default_minor_is_read_but_kept_out_of_the_json():
    _interpreters, launcher = parse_inspection_output("--- launcher\n" + CONFIG)
    assert launcher is not None and launcher.default_version == "3.14"
    assert "default_version" not in launcher.to_json()


def test_install_tags_skip_the_cp39_link():
    listing = "/opt/python/cp314-cp314t\n/opt/python/cp39-cp39\n/opt/python/cp313-cp313\n"
    assert parse_install_tags(listing) == ["cp313-cp313", "cp314-cp314t"]


def test_targets_are_ordered_by_minor_then_build():
    tags = ["cp314-cp314t", "cp313-cp313t", "cp314-cp314", "cp313-cp313", "not-a-tag"]
    assert [t.request for t in targets_of(tags)] == ["3.13", "3.13t", "3.14", "3.14t"]


def test_an_older_probe_without_compiler_facts_reads_as_unknown():
    old = {k: v for k, v in PROBE.items() if k not in ("compiler", "CC")}
    (facts,), _launcher = parse_inspection_output(json.dumps(old) + "\n")
    assert (facts.compiler, facts.extension_cc) == ("", "")
    assert facts.to_json()["compiler"] == "" and facts.to_json()["CC"] == ""

"""images/scripts/dedupe.py: identical files under the root become one inode, across every interpreter."""

import importlib.util
import json

from dualpy.paths import data_dir


def load_dedupe():
    spec = importlib.util.spec_from_file_location("dedupe", data_dir("images") / "scripts" / "dedupe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_identical_files_across_minors_share_an_inode(tmp_path, capsys):
    root = tmp_path / "opt" / "python"
    for install in ("cp313-cp313", "cp313-cp313t", "cp314-cp314"):
        (root / install / "lib").mkdir(parents=True)
        (root / install / "lib" / "same.py").write_text("x = 1\n" * 100)
        (root / install / "lib" / "own.py").write_text(install)
        (root / install / "lib" / "empty.py").write_text("")
    (root / "cp314-cp314" / "lib" / "same-size.py").write_text("y = 1\n" * 100)
    load_dedupe().main(str(root))
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"root": str(root), "files_linked": 2, "bytes_saved": 1200}
    inodes = {(root / i / "lib" / "same.py").stat().st_ino for i in ("cp313-cp313", "cp313-cp313t", "cp314-cp314")}
    assert len(inodes) == 1
    assert (root / "cp314-cp314" / "lib" / "same-size.py").stat().st_ino not in inodes
    assert (root / "cp313-cp313" / "lib" / "own.py").read_text() == "cp313-cp313"

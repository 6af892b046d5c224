import threading

import dualpy_racy
import pytest


def test_reverse_is_right():
    # Each thread reverses its own bytes, so only a race between calls can mix them up.
    data = threading.get_ident().to_bytes(8, "little") * 65536
    for _ in range(20):
        assert dualpy_racy.reverse(data) == data[::-1]


def test_reverse_small():
    assert dualpy_racy.reverse(b"abc") == b"cba"


@pytest.mark.thread_unsafe(reason="checks a module-wide limit once")
def test_limit():
    with pytest.raises(ValueError):
        dualpy_racy.reverse(b"x" * ((1 << 20) + 1))

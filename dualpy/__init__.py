"""dualpy: build, ship and verify dual GIL / free-threaded CPython."""

__version__ = "0.1.0"

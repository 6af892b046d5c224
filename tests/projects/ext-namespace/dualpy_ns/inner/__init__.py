"""A subpackage of the dualpy_ns namespace package; its extension is not imported here."""

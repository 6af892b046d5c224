from setuptools import Extension, setup


def module(name, gil_not_used):
    """dualpy_multi.<name>, built from the one shared source."""
    return Extension(f"dualpy_multi.{name}", ["src/ext.c"],
                     define_macros=[("MODULE", name), ("GIL_NOT_USED", "1" if gil_not_used else "0")])


# Importing the package imports none of them: only verify's import of each extension module finds _legacy.
setup(packages=["dualpy_multi"],
      ext_modules=[module("_one", True), module("_two", True), module("_legacy", False)])

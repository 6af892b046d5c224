from setuptools import Extension, setup

# dualpy_ns is a namespace package (no __init__.py): its only C extension sits in the subpackage dualpy_ns.inner.
setup(packages=["dualpy_ns.inner"],
      ext_modules=[Extension("dualpy_ns.inner._speedups", ["src/ext.c"],
                             define_macros=[("MODULE", "_speedups"), ("GIL_NOT_USED", "1")])])

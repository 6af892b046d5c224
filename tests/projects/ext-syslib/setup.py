from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_syslib", ["src/dualpy_syslib.c"], libraries=["zstd"])])

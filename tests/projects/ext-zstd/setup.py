from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_zstd", ["src/dualpy_zstd.c"], libraries=["zstd"])])

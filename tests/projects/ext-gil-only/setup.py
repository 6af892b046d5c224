from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_gil_only", ["src/dualpy_gil_only.c"])])

from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_refuses_t", ["src/dualpy_refuses_t.c"])])

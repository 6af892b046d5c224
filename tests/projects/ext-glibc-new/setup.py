from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_glibc_new", ["src/dualpy_glibc_new.c"])])

from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_racy", ["src/dualpy_racy.c"])])

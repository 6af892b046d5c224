from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_uv_built", ["src/dualpy_uv_built.c"])])

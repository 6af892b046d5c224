from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_cxx", ["src/dualpy_cxx.cpp"], language="c++", extra_compile_args=["-std=c++17"])])

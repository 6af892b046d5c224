from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_threads", ["src/dualpy_threads.c"], libraries=["pthread", "dl"])])

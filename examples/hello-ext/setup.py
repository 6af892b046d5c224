from setuptools import Extension, setup

setup(ext_modules=[Extension("hello_ext", ["src/hello_ext.c"])])

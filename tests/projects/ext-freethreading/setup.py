from setuptools import Extension, setup

setup(ext_modules=[Extension("dualpy_ft_ok", ["src/dualpy_ft_ok.c"])])

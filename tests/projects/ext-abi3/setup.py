import sysconfig

from setuptools import Extension, setup

# The limited API does not exist for free-threaded 3.13/3.14 (cpython#111506; setuptools refuses it):
# the t build gets a version-specific cp313t wheel, the GIL build an abi3 wheel.
limited = not sysconfig.get_config_var("Py_GIL_DISABLED")

setup(
    ext_modules=[
        Extension(
            "dualpy_abi3",
            ["src/dualpy_abi3.c"],
            py_limited_api=limited,
            define_macros=[("Py_LIMITED_API", "0x030D0000")] if limited else [],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp313"}} if limited else {},
)

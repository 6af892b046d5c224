#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <zstd.h>

/* libzstd.so.1 from the image's apt was built against bookworm's glibc: auditwheel must graft it into the wheel,
   and it needs GLIBC_2.34, so no floor below 2_34 can hold it. */

static PyObject *
version(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(ZSTD_versionString());
}

static PyMethodDef methods[] = {
    {"version", version, METH_NOARGS, "libzstd's version."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_zstd", "Links libzstd.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_zstd(void)
{
    return PyModuleDef_Init(&module);
}

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

/* arc4random() entered glibc in 2.36: a wheel with this extension runs on no older glibc, whatever its tag says. */

static PyObject *
random32(PyObject *self, PyObject *unused)
{
    return PyLong_FromUnsignedLong(arc4random());
}

static PyMethodDef methods[] = {
    {"random32", random32, METH_NOARGS, "A random 32-bit number from arc4random()."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_glibc_new", "Needs glibc 2.36.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_glibc_new(void)
{
    return PyModuleDef_Init(&module);
}

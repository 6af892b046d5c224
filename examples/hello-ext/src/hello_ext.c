#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
greet(PyObject *self, PyObject *arg)
{
    return PyUnicode_FromFormat("hello, %U", arg);
}

static PyMethodDef methods[] = {
    {"greet", greet, METH_O, "Greet someone."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    /* This module keeps no shared mutable state, so it can run without the GIL. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "hello_ext", "dualpy's example extension.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_hello_ext(void)
{
    return PyModuleDef_Init(&module);
}

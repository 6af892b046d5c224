#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* One source, several extension modules: setup.py compiles it once per module with -DMODULE=<name>, and with
   -DGIL_NOT_USED=1 for each module that declares it runs without the GIL. */

#define CONCAT(a, b) a##b
#define INIT_NAME(name) CONCAT(PyInit_, name)
#define TEXT(x) #x
#define NAME_OF(x) TEXT(x)

static PyObject *
add(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, "Add two integers."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#if defined(Py_GIL_DISABLED) && GIL_NOT_USED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, NAME_OF(MODULE), "dualpy test extension", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
INIT_NAME(MODULE)(void)
{
    return PyModuleDef_Init(&module);
}

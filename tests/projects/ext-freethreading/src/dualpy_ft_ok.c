#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

/* An extension that declares it runs without the GIL. */

static PyObject *
add(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

/* Calls into libc, so the module links it (auditwheel reads the libc from the extension's needs). */
static PyObject *
pid(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong((long)getpid());
}

static PyMethodDef methods[] = {
    {"pid", pid, METH_NOARGS, "The process id."},
    {"add", add, METH_VARARGS, "Add two integers."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_ft_ok", "An extension that declares it runs without the GIL.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_ft_ok(void)
{
    return PyModuleDef_Init(&module);
}

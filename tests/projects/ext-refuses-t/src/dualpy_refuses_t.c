#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

#ifdef Py_GIL_DISABLED
#error "this extension does not support the free-threaded build"
#endif

/* An extension whose C code refuses the free-threaded build (#error under Py_GIL_DISABLED). */

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
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_refuses_t", "An extension whose C code refuses the free-threaded build (#error under Py_GIL_DISABLED).", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_refuses_t(void)
{
    return PyModuleDef_Init(&module);
}

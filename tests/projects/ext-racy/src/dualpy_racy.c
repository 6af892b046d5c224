#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* A data race on purpose: reverse() stages its input in one static buffer shared by every caller. Under the
   GIL each call runs whole, so the result is right; without it, two threads overwrite each other's bytes. */

#define SCRATCH_SIZE (1 << 20)
static unsigned char scratch[SCRATCH_SIZE];

static PyObject *
reverse(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (view.len > SCRATCH_SIZE) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "at most 1 MiB");
        return NULL;
    }
    const unsigned char *in = view.buf;
    Py_ssize_t n = view.len;
    for (Py_ssize_t i = 0; i < n; i++) {
        ((volatile unsigned char *)scratch)[i] = in[n - 1 - i];
    }
    PyObject *out = PyBytes_FromStringAndSize((const char *)scratch, n);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"reverse", reverse, METH_O, "The bytes reversed (through a shared scratch buffer, without a lock)."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_racy", "A data race on purpose.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_racy(void)
{
    return PyModuleDef_Init(&module);
}

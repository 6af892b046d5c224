#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

/* A stable-ABI extension for both builds of CPython 3.15 and later (abi3t, PEP 803).
 *
 * abi3t makes PyObject opaque, so PyModuleDef (it starts with a PyObject header) cannot be used: the module is
 * defined by a PyModExport hook returning a PySlot array (PEP 793), as the "Migrating to Stable ABI for free
 * threading (abi3t)" how-to of CPython 3.15 shows. */

#if defined(Py_GIL_DISABLED) && !defined(Py_TARGET_ABI3T)
#  error "a limited-API build on a free-threaded interpreter must target abi3t (Py_TARGET_ABI3T)"
#endif

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

/* Which stable ABI the module was compiled for: what verify and the tests read back. */
static PyObject *
target_abi(PyObject *self, PyObject *unused)
{
#ifdef Py_TARGET_ABI3T
    return PyUnicode_FromString("abi3t");
#else
    return PyUnicode_FromString("abi3");
#endif
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, "Add two integers."},
    {"pid", pid, METH_NOARGS, "The process id."},
    {"target_abi", target_abi, METH_NOARGS, "abi3t or abi3: the stable ABI this module was compiled for."},
    {NULL, NULL, 0, NULL},
};

PyABIInfo_VAR(abi_info);

static PySlot module_slots[] = {
    PySlot_STATIC_DATA(Py_mod_abi, &abi_info),
    PySlot_STATIC_DATA(Py_mod_name, "dualpy_abi3t"),
    PySlot_STATIC_DATA(Py_mod_doc, "A stable-ABI extension for both builds of CPython 3.15 (abi3t, PEP 803)."),
    PySlot_STATIC_DATA(Py_mod_methods, methods),
    /* Without it, importing the module re-enables the GIL in the free-threaded build. */
    PySlot_DATA(Py_mod_gil, Py_MOD_GIL_NOT_USED),
    PySlot_END,
};

PyMODEXPORT_FUNC
PyModExport_dualpy_abi3t(void)
{
    return module_slots;
}

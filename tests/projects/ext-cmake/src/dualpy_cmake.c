#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <pthread.h>

/* Built by bookworm's gcc, pthread_create and dlopen bind to GLIBC_2.34 (glibc moved them into libc.so.6 there);
   built for a glibc floor they bind to their first versions. */

static void *
square(void *arg)
{
    long *value = arg;
    *value = *value * *value;
    return NULL;
}

static PyObject *
thread_square(PyObject *self, PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
    pthread_t thread;
    int error;
    Py_BEGIN_ALLOW_THREADS
    error = pthread_create(&thread, NULL, square, &value);
    if (error == 0) {
        error = pthread_join(thread, NULL);
    }
    Py_END_ALLOW_THREADS
    if (error != 0) {
        return PyErr_Format(PyExc_OSError, "pthread_create failed: %d", error);
    }
    return PyLong_FromLong(value);
}

static PyObject *
libm_cos(PyObject *self, PyObject *arg)
{
    double x = PyFloat_AsDouble(arg);
    if (x == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    void *libm = dlopen("libm.so.6", RTLD_NOW);
    if (libm == NULL) {
        return PyErr_Format(PyExc_OSError, "dlopen failed: %s", dlerror());
    }
    double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
    double result = cosine != NULL ? cosine(x) : -2.0;
    dlclose(libm);
    return PyFloat_FromDouble(result);
}

static PyMethodDef methods[] = {
    {"thread_square", thread_square, METH_O, "n * n, computed in a new pthread."},
    {"libm_cos", libm_cos, METH_O, "cos(x) from libm, found with dlopen and dlsym."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_cmake", "Threads and dlopen, built by CMake.", 0, methods, slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit_dualpy_cmake(void)
{
    return PyModuleDef_Init(&module);
}

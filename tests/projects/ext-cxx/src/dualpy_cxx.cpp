#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdexcept>
#include <string>
#include <thread>

/* With the image's g++ this needs GLIBCXX_3.4.2x from libstdc++; with the floor's zig c++ it links LLVM's libc++
   statically and needs only old glibc symbols. */

static std::string
shout(const std::string &text)
{
    if (text.empty()) {
        throw std::invalid_argument("nothing to shout");
    }
    std::string result;
    std::thread worker([&] {
        for (char c : text) {
            result += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        result += "!";
    });
    worker.join();
    return result;
}

static PyObject *
py_shout(PyObject *, PyObject *arg)
{
    const char *text = PyUnicode_AsUTF8(arg);
    if (text == nullptr) {
        return nullptr;
    }
    try {
        std::string result = shout(text);
        return PyUnicode_FromStringAndSize(result.data(), static_cast<Py_ssize_t>(result.size()));
    }
    catch (const std::exception &error) {
        PyErr_SetString(PyExc_ValueError, error.what());  // the C++ exception crosses into Python as ValueError
        return nullptr;
    }
}

static PyMethodDef methods[] = {
    {"shout", py_shout, METH_O, "The text upper-cased with '!' by a std::thread; ValueError when empty."},
    {nullptr, nullptr, 0, nullptr},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, nullptr},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualpy_cxx", "C++ threads, strings, exceptions.", 0, methods, slots,
    nullptr, nullptr, nullptr,
};

PyMODINIT_FUNC
PyInit_dualpy_cxx(void)
{
    return PyModuleDef_Init(&module);
}

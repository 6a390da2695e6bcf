/* Compiled fast path for partitioning.hashing: Kafka's murmur2, FNV-1a and jump consistent hash.
 *
 * Every function here has a pure-Python twin in partitioning/hashing.py; both are tested
 * against the same published vectors. Results are unsigned 32-bit integers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static uint32_t murmur2_raw(const unsigned char *data, Py_ssize_t length) {
    const uint32_t m = 0x5bd1e995u;
    uint32_t h = 0x9747b28cu ^ (uint32_t)length;
    Py_ssize_t i = 0;
    for (; i + 4 <= length; i += 4) {
        uint32_t k = (uint32_t)data[i] | ((uint32_t)data[i + 1] << 8) |
                     ((uint32_t)data[i + 2] << 16) | ((uint32_t)data[i + 3] << 24);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (length & 3) {
    case 3: h ^= (uint32_t)data[i + 2] << 16; /* fall through */
    case 2: h ^= (uint32_t)data[i + 1] << 8;  /* fall through */
    case 1: h ^= (uint32_t)data[i]; h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

static uint32_t fnv1a_raw(const unsigned char *data, Py_ssize_t length) {
    uint32_t h = 0x811c9dc5u;
    for (Py_ssize_t i = 0; i < length; i++) {
        h ^= data[i];
        h *= 0x01000193u;
    }
    return h;
}

typedef uint32_t (*hash_fn)(const unsigned char *, Py_ssize_t);

/* Hash one bytes-like object; returns 0 and sets *out, or -1 with a TypeError set. */
static int hash_object(PyObject *obj, hash_fn fn, uint32_t *out) {
    if (PyBytes_CheckExact(obj)) {
        *out = fn((const unsigned char *)PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj));
        return 0;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) != 0) {
        PyErr_Format(PyExc_TypeError, "key must be bytes-like, not %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = fn((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *py_murmur2(PyObject *self, PyObject *obj) {
    uint32_t h;
    if (hash_object(obj, murmur2_raw, &h) < 0) return NULL;
    return PyLong_FromUnsignedLong(h);
}

static PyObject *py_fnv1a(PyObject *self, PyObject *obj) {
    uint32_t h;
    if (hash_object(obj, fnv1a_raw, &h) < 0) return NULL;
    return PyLong_FromUnsignedLong(h);
}

/* Java's keyed mapping: (murmur2(key) & 0x7fffffff) % n. */
static PyObject *py_murmur2_partition(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "murmur2_partition(key, num_partitions) takes 2 arguments");
        return NULL;
    }
    long n = PyLong_AsLong(args[1]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n <= 0) {
        PyErr_Format(PyExc_ValueError, "num_partitions must be positive, got %ld", n);
        return NULL;
    }
    uint32_t h;
    if (hash_object(args[0], murmur2_raw, &h) < 0) return NULL;
    return PyLong_FromLong((long)((h & 0x7fffffffu) % (uint32_t)n));
}

/* Hash every item of a sequence into a caller-supplied writable uint32 buffer. */
static PyObject *hash_many(PyObject *args, hash_fn fn) {
    PyObject *seq_in;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "Ow*", &seq_in, &out)) return NULL;
    PyObject *seq = PySequence_Fast(seq_in, "keys must be a sequence of bytes");
    if (seq == NULL) {
        PyBuffer_Release(&out);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (out.len < n * (Py_ssize_t)sizeof(uint32_t)) {
        Py_DECREF(seq);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "output buffer too small");
        return NULL;
    }
    uint32_t *dst = (uint32_t *)out.buf;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (hash_object(items[i], fn, &dst[i]) < 0) {
            Py_DECREF(seq);
            PyBuffer_Release(&out);
            return NULL;
        }
    }
    Py_DECREF(seq);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

static PyObject *py_murmur2_into(PyObject *self, PyObject *args) { return hash_many(args, murmur2_raw); }
static PyObject *py_fnv1a_into(PyObject *self, PyObject *args) { return hash_many(args, fnv1a_raw); }

/* Lamping & Veach jump consistent hash: 64-bit key -> bucket in [0, n). */
static PyObject *py_jump(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "jump(key64, num_buckets) takes 2 arguments");
        return NULL;
    }
    unsigned long long key = PyLong_AsUnsignedLongLongMask(args[0]);
    if (key == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    long n = PyLong_AsLong(args[1]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n <= 0) {
        PyErr_Format(PyExc_ValueError, "num_buckets must be positive, got %ld", n);
        return NULL;
    }
    int64_t b = -1, j = 0;
    while (j < n) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return PyLong_FromLongLong(b);
}

static PyMethodDef methods[] = {
    {"murmur2", py_murmur2, METH_O, "Kafka's murmur2 of a bytes-like key, unsigned 32-bit."},
    {"fnv1a", py_fnv1a, METH_O, "FNV-1a 32-bit of a bytes-like key, unsigned."},
    {"murmur2_partition", (PyCFunction)(void (*)(void))py_murmur2_partition, METH_FASTCALL,
     "(murmur2(key) & 0x7fffffff) % num_partitions."},
    {"murmur2_into", py_murmur2_into, METH_VARARGS, "murmur2 of each key into a uint32 buffer."},
    {"fnv1a_into", py_fnv1a_into, METH_VARARGS, "FNV-1a of each key into a uint32 buffer."},
    {"jump", (PyCFunction)(void (*)(void))py_jump, METH_FASTCALL,
     "Jump consistent hash of a 64-bit key into num_buckets."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hashext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__hashext(void) { return PyModule_Create(&module); }

/* Compiled core of strategies.identical: balance for identical subscriptions, in index space,
 * and the reader of the sticky assignor's user data.
 *
 * Every function here has a pure-Python twin (strategies/identical.py, core.py, codec.py) giving the identical
 * answer; tests run both on the same random groups and compare them exactly.
 *
 *   partitions(cls, topic, numbers) -> tuple of cls((topic, n)) for n in numbers, each object
 *       left out of the cycle collector (it holds a str and an int only, so it can be in no
 *       cycle), which is what makes building a million of them cheap; the same for the tuples
 *       of partitions returned here, so the collector never walks a million items.
 *   concat(parts) -> the tuples of partitions in parts joined into one, also uncollected.
 *   assign(flat, members, kept, base) -> {member: tuple of partitions}, see identical.py.
 *   fill(order, topics, count, level, left, parts, fresh) -> None, the fill of a fresh group
 *       by the general sticky path (twin of balance._fill_pure).
 *   runs(members, sticky, fresh, interned) -> {member: tuple}, the members of the general
 *       path whose partitions are one run in order (twin of balance._runs_pure).
 *   read_assignment(buf, cls) -> the partitions of StickyAssignorUserData and the offset
 *       after them (twin of codec._read_assignment_pure; ValueError on corrupt data).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

static PyObject *partitions(PyObject *Py_UNUSED(self), PyObject *args) {
    PyTypeObject *cls;
    PyObject *topic, *numbers;
    if (!PyArg_ParseTuple(args, "O!UO!:partitions", &PyType_Type, &cls, &topic, &PyList_Type, &numbers))
        return NULL;
    if (!PyType_IsSubtype(cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "partitions: cls must be a tuple subclass");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(numbers);
    PyObject *out = PyTuple_New(n);
    if (out == NULL) return NULL;
    /* No Python code runs in this loop and the GIL is held throughout, so pausing the
     * collector is invisible outside; the objects made here are untracked anyway. */
    int collecting = PyGC_Disable();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *tp = cls->tp_alloc(cls, 2);
        if (tp == NULL) {
            if (collecting) PyGC_Enable();
            Py_DECREF(out);
            return NULL;
        }
        PyObject *num = PyList_GET_ITEM(numbers, i);
        Py_INCREF(topic);
        Py_INCREF(num);
        PyTuple_SET_ITEM(tp, 0, topic);
        PyTuple_SET_ITEM(tp, 1, num);
        if (PyObject_GC_IsTracked(tp)) PyObject_GC_UnTrack(tp);
        PyTuple_SET_ITEM(out, i, tp);
    }
    if (collecting) PyGC_Enable();
    PyObject_GC_UnTrack(out); /* holds only the objects above, so it is in no cycle either */
    return out;
}

static PyObject *concat(PyObject *Py_UNUSED(self), PyObject *parts) {
    if (!PyTuple_Check(parts)) {
        PyErr_SetString(PyExc_TypeError, "concat: expected a tuple of tuples");
        return NULL;
    }
    Py_ssize_t n = 0, k = PyTuple_GET_SIZE(parts);
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *part = PyTuple_GET_ITEM(parts, i);
        if (!PyTuple_Check(part)) {
            PyErr_SetString(PyExc_TypeError, "concat: expected a tuple of tuples");
            return NULL;
        }
        n += PyTuple_GET_SIZE(part);
    }
    PyObject *out = PyTuple_New(n);
    if (out == NULL) return NULL;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *part = PyTuple_GET_ITEM(parts, i);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(part); j++) {
            PyObject *item = PyTuple_GET_ITEM(part, j);
            Py_INCREF(item);
            PyTuple_SET_ITEM(out, at++, item);
        }
    }
    /* Only called on tuples of partitions (a str and an int each): no cycle goes through it. */
    PyObject_GC_UnTrack(out);
    return out;
}

typedef struct {
    Py_ssize_t claimed;
    Py_ssize_t index;
} Claimed;

static int by_claims_desc(const void *a, const void *b) {
    const Claimed *x = a, *y = b;
    if (x->claimed != y->claimed) return x->claimed > y->claimed ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* The shares of quotas() in identical.py. */
static int compute_quotas(Py_ssize_t m, Py_ssize_t total, const Py_ssize_t *claimed, Py_ssize_t *quota) {
    Py_ssize_t q = total / m, r = total % m, over_n = 0;
    Claimed *over = PyMem_Malloc(sizeof(Claimed) * (size_t)(m ? m : 1));
    if (over == NULL) return -1;
    for (Py_ssize_t j = 0; j < m; j++) {
        quota[j] = q;
        if (claimed[j] > q) {
            over[over_n].claimed = claimed[j];
            over[over_n].index = j;
            over_n++;
        }
    }
    qsort(over, (size_t)over_n, sizeof(Claimed), by_claims_desc);
    Py_ssize_t lifted = over_n < r ? over_n : r;
    for (Py_ssize_t i = 0; i < lifted; i++) quota[over[i].index] = q + 1;
    PyMem_Free(over);
    Py_ssize_t extra = r - lifted;
    for (Py_ssize_t j = 0; j < m && extra > 0; j++) {
        if (quota[j] == q) {
            quota[j] = q + 1;
            extra--;
        }
    }
    return 0;
}

static PyObject *assign(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *flat, *members, *kept, *base;
    if (!PyArg_ParseTuple(args, "O!O!O!O!:assign", &PyTuple_Type, &flat, &PyTuple_Type, &members,
                          &PyList_Type, &kept, &PyDict_Type, &base))
        return NULL;
    Py_ssize_t m = PyTuple_GET_SIZE(members), total = PyTuple_GET_SIZE(flat);
    if (PyList_GET_SIZE(kept) != m) {
        PyErr_SetString(PyExc_ValueError, "assign: kept must have one list per member");
        return NULL;
    }
    PyObject *out = NULL;
    Py_ssize_t *claimed = NULL, *quota = NULL, *keep_start = NULL, *keep_n = NULL,
               *keep = NULL, *dealt_start = NULL, *dealt_n = NULL, *dealt = NULL, *free_ = NULL,
               *active = NULL;
    char *taken = NULL;
    size_t sm = (size_t)(m ? m : 1), st = (size_t)(total ? total : 1);
    claimed = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    quota = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    keep_start = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    keep_n = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    dealt_start = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    dealt_n = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    active = PyMem_Malloc(sizeof(Py_ssize_t) * sm);
    keep = PyMem_Malloc(sizeof(Py_ssize_t) * st);
    dealt = PyMem_Malloc(sizeof(Py_ssize_t) * st);
    free_ = PyMem_Malloc(sizeof(Py_ssize_t) * st);
    taken = PyMem_Calloc(st, 1);
    if (!claimed || !quota || !keep_start || !keep_n || !dealt_start || !dealt_n || !active ||
        !keep || !dealt || !free_ || !taken) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < m; j++) {
        PyObject *claims = PyList_GET_ITEM(kept, j);
        if (!PyList_Check(claims)) {
            PyErr_SetString(PyExc_TypeError, "assign: each member's claims must be a list");
            goto done;
        }
        claimed[j] = PyList_GET_SIZE(claims);
    }
    if (m > 0 && compute_quotas(m, total, claimed, quota) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    /* Keep each member's claims up to its share, as indices into flat. */
    Py_ssize_t kept_total = 0;
    for (Py_ssize_t j = 0; j < m; j++) {
        PyObject *claims = PyList_GET_ITEM(kept, j);
        Py_ssize_t n = claimed[j] < quota[j] ? claimed[j] : quota[j];
        keep_start[j] = kept_total;
        keep_n[j] = n;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *tp = PyList_GET_ITEM(claims, i);
            if (!PyTuple_Check(tp) || PyTuple_GET_SIZE(tp) != 2) {
                PyErr_SetString(PyExc_TypeError, "assign: a claim is not a (topic, partition) pair");
                goto done;
            }
            PyObject *at = PyDict_GetItemWithError(base, PyTuple_GET_ITEM(tp, 0));
            if (at == NULL) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "assign: claim of an unknown topic");
                goto done;
            }
            Py_ssize_t idx = PyLong_AsSsize_t(at), p = PyLong_AsSsize_t(PyTuple_GET_ITEM(tp, 1));
            if ((idx == -1 || p == -1) && PyErr_Occurred()) goto done;
            idx += p;
            if (p < 0 || idx < 0 || idx >= total || taken[idx]) {
                PyErr_SetString(PyExc_ValueError, "assign: a claim is out of range or claimed twice");
                goto done;
            }
            taken[idx] = 1;
            keep[kept_total++] = idx;
        }
    }
    Py_ssize_t free_n = 0;
    for (Py_ssize_t i = 0; i < total; i++)
        if (!taken[i]) free_[free_n++] = i;
    /* Deal the free indices round-robin, level by level, to the members with room. */
    Py_ssize_t active_n = 0, room = 0;
    for (Py_ssize_t j = 0; j < m; j++) {
        dealt_start[j] = room;
        dealt_n[j] = 0;
        room += quota[j] - keep_n[j];
        if (quota[j] > keep_n[j]) active[active_n++] = j;
    }
    if (room != free_n) {
        PyErr_SetString(PyExc_ValueError, "assign: the shares do not add up to the partitions");
        goto done;
    }
    Py_ssize_t pos = 0, level = 0;
    while (active_n > 0) {
        Py_ssize_t top = -1;
        for (Py_ssize_t a = 0; a < active_n; a++) {
            Py_ssize_t d = quota[active[a]] - keep_n[active[a]];
            if (top < 0 || d < top) top = d;
        }
        Py_ssize_t k = active_n, rounds = top - level;
        for (Py_ssize_t a = 0; a < k; a++) {
            Py_ssize_t j = active[a], *to = dealt + dealt_start[j] + dealt_n[j];
            for (Py_ssize_t t = 0; t < rounds; t++) to[t] = free_[pos + a + t * k];
            dealt_n[j] += rounds;
        }
        pos += k * rounds;
        level = top;
        Py_ssize_t still = 0;
        for (Py_ssize_t a = 0; a < k; a++)
            if (quota[active[a]] - keep_n[active[a]] > level) active[still++] = active[a];
        active_n = still;
    }
    /* Each member: its kept and dealt indices merged in order, as flat's objects. */
    out = PyDict_New();
    if (out == NULL) goto done;
    for (Py_ssize_t j = 0; j < m; j++) {
        Py_ssize_t a = 0, b = 0, na = keep_n[j], nb = dealt_n[j];
        const Py_ssize_t *ka = keep + keep_start[j], *db = dealt + dealt_start[j];
        int sorted = 1;
        for (Py_ssize_t i = 1; i < na; i++) if (ka[i - 1] > ka[i]) sorted = 0;
        if (!sorted) { /* claims arrive sorted; sort anyway if they are not */
            Py_ssize_t *w = keep + keep_start[j];
            for (Py_ssize_t i = 1; i < na; i++) {
                Py_ssize_t v = w[i], h = i;
                while (h > 0 && w[h - 1] > v) { w[h] = w[h - 1]; h--; }
                w[h] = v;
            }
        }
        PyObject *parts = PyTuple_New(na + nb);
        if (parts == NULL) goto fail;
        for (Py_ssize_t i = 0; i < na + nb; i++) {
            Py_ssize_t idx = (b >= nb || (a < na && ka[a] < db[b])) ? ka[a++] : db[b++];
            PyObject *tp = PyTuple_GET_ITEM(flat, idx);
            Py_INCREF(tp);
            PyTuple_SET_ITEM(parts, i, tp);
        }
        PyObject_GC_UnTrack(parts); /* partitions only (a str and an int each): in no cycle */
        int rc = PyDict_SetItem(out, PyTuple_GET_ITEM(members, j), parts);
        Py_DECREF(parts);
        if (rc < 0) goto fail;
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    PyMem_Free(claimed);
    PyMem_Free(quota);
    PyMem_Free(keep_start);
    PyMem_Free(keep_n);
    PyMem_Free(dealt_start);
    PyMem_Free(dealt_n);
    PyMem_Free(active);
    PyMem_Free(keep);
    PyMem_Free(dealt);
    PyMem_Free(free_);
    PyMem_Free(taken);
    return out;
}

static int32_t read_i32(const unsigned char *b) {
    return (int32_t)(((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | (uint32_t)b[3]);
}

/* One partition object of cls, untracked; NULL with an error set. */
static PyObject *make_partition(PyTypeObject *cls, PyObject *topic, int32_t number) {
    PyObject *num = PyLong_FromLong(number);
    if (num == NULL) return NULL;
    PyObject *tp = cls->tp_alloc(cls, 2);
    if (tp == NULL) {
        Py_DECREF(num);
        return NULL;
    }
    Py_INCREF(topic);
    PyTuple_SET_ITEM(tp, 0, topic);
    PyTuple_SET_ITEM(tp, 1, num);
    if (PyObject_GC_IsTracked(tp)) PyObject_GC_UnTrack(tp);
    return tp;
}

static PyObject *corrupt(const char *what, long value) {
    PyErr_Format(PyExc_ValueError, "%s %ld", what, value);
    return NULL;
}

/* The twin of codec._read_assignment_pure: (tuple of cls((topic, n)), offset after them). */
static PyObject *read_assignment(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer view;
    PyTypeObject *cls;
    if (!PyArg_ParseTuple(args, "y*O!:read_assignment", &view, &PyType_Type, &cls)) return NULL;
    const unsigned char *b = view.buf;
    Py_ssize_t size = view.len, pos = 4;
    PyObject *out = NULL, *names = NULL, *topic = NULL, *result = NULL;
    if (size < 4) {
        corrupt("no topic count in bytes:", (long)size);
        goto done;
    }
    int32_t topics = read_i32(b);
    if (topics < 0 || topics > size) {
        corrupt("bad topic count", topics);
        goto done;
    }
    out = PyList_New(0);
    names = PyDict_New();
    if (out == NULL || names == NULL) goto done;
    for (int32_t i = 0; i < topics; i++) {
        if (pos + 2 > size) {
            corrupt("no topic name length at byte", (long)pos);
            goto done;
        }
        int16_t length = (int16_t)(((uint16_t)b[pos] << 8) | (uint16_t)b[pos + 1]);
        Py_ssize_t start = pos + 2, end = start + length;
        if (length < 0 || end > size) {
            corrupt("bad topic name length", length);
            goto done;
        }
        PyObject *raw = PyBytes_FromStringAndSize((const char *)b + start, length);
        if (raw == NULL) goto done;
        topic = PyDict_GetItemWithError(names, raw);
        if (topic != NULL) {
            Py_INCREF(topic);
        } else if (!PyErr_Occurred()) {
            topic = PyUnicode_DecodeUTF8((const char *)b + start, length, "strict");
            if (topic != NULL && PyDict_SetItem(names, raw, topic) < 0) Py_CLEAR(topic);
        }
        Py_DECREF(raw);
        if (topic == NULL) goto done;
        if (end + 4 > size) {
            corrupt("no partition count at byte", (long)end);
            goto done;
        }
        int32_t count = read_i32(b + end);
        pos = end + 4;
        if (count < 0 || pos + 4 * (Py_ssize_t)count > size) {
            corrupt("bad partition count", count);
            goto done;
        }
        for (int32_t j = 0; j < count; j++, pos += 4) {
            PyObject *tp = make_partition(cls, topic, read_i32(b + pos));
            if (tp == NULL) goto done;
            int rc = PyList_Append(out, tp);
            Py_DECREF(tp);
            if (rc < 0) goto done;
        }
        Py_CLEAR(topic);
    }
    PyObject *parts = PyList_AsTuple(out);
    if (parts == NULL) goto done;
    PyObject_GC_UnTrack(parts);
    result = Py_BuildValue("(Nn)", parts, pos);
done:
    Py_XDECREF(topic);
    Py_XDECREF(out);
    Py_XDECREF(names);
    PyBuffer_Release(&view);
    return result;
}

/* Borrowed value of key in dict, or NULL with an exception set. */
static PyObject *lookup(PyObject *dict, PyObject *key) {
    PyObject *v = PyDict_GetItemWithError(dict, key);
    if (v == NULL && !PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
    return v;
}

/* fill(order, topics, count, level, left, parts, fresh): twin of balance._fill_pure. */
static PyObject *fill(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *order, *topics, *count, *left, *parts, *fresh;
    Py_ssize_t level;
    if (!PyArg_ParseTuple(args, "O!O!O!nO!O!O!", &PyList_Type, &order, &PyDict_Type, &topics,
                          &PyDict_Type, &count, &level, &PyDict_Type, &left, &PyDict_Type,
                          &parts, &PyDict_Type, &fresh))
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(order); i++) {
        PyObject *m = PyList_GET_ITEM(order, i);
        PyObject *mine = lookup(topics, m);
        if (mine == NULL) return NULL;
        if (!PyTuple_Check(mine)) return PyErr_Format(PyExc_TypeError, "topics of a member must be a tuple");
        PyObject *c = lookup(count, m);
        if (c == NULL) return NULL;
        Py_ssize_t have = PyLong_AsSsize_t(c);
        if (have == -1 && PyErr_Occurred()) return NULL;
        Py_ssize_t k = PyTuple_GET_SIZE(mine), room = level - have, start = room;
        if (room <= 0 || k == 0) continue;
        PyObject *got = lookup(fresh, m);
        if (got == NULL) return NULL;
        if (!PyDict_Check(got)) return PyErr_Format(PyExc_TypeError, "fresh of a member must be a dict");
        for (;;) {
            PyObject *best = NULL;
            Py_ssize_t n = -1;
            for (Py_ssize_t j = 0; j < k; j++) {  /* the first with the most left */
                PyObject *t = PyTuple_GET_ITEM(mine, j);
                PyObject *v = lookup(left, t);
                if (v == NULL) return NULL;
                Py_ssize_t x = PyLong_AsSsize_t(v);
                if (x == -1 && PyErr_Occurred()) return NULL;
                if (x > n) { n = x; best = t; }
            }
            if (n <= 0) break;
            Py_ssize_t take = room < n ? room : n;
            PyObject *pool = lookup(parts, best);
            if (pool == NULL) return NULL;
            if (!PyList_Check(pool) || PyList_GET_SIZE(pool) < n)
                return PyErr_Format(PyExc_ValueError, "parts of a topic must be a list of its size");
            PyObject *run = PyList_GetSlice(pool, n - take, n);
            if (run == NULL) return NULL;
            int err = PyDict_SetItem(got, best, run);
            Py_DECREF(run);
            if (err < 0) return NULL;
            PyObject *rest = PyLong_FromSsize_t(n - take);
            if (rest == NULL) return NULL;
            err = PyDict_SetItem(left, best, rest);  /* best stays alive: topics holds it */
            Py_DECREF(rest);
            if (err < 0) return NULL;
            room -= take;
            if (room == 0) break;
        }
        PyObject *now = PyLong_FromSsize_t(have + start - room);
        if (now == NULL) return NULL;
        int err = PyDict_SetItem(count, m, now);
        Py_DECREF(now);
        if (err < 0) return NULL;
    }
    Py_RETURN_NONE;
}

/* runs(members, sticky, fresh, interned) -> {member: tuple}: for each member holding no kept
 * partition and newly placed partitions of one topic that are one run of consecutive partitions
 * in order (equal to a slice of interned[topic]), that run as a tuple; the others are left out. */
static PyObject *runs(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *members, *sticky, *fresh, *interned;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyTuple_Type, &members, &PyDict_Type, &sticky,
                          &PyDict_Type, &fresh, &PyDict_Type, &interned))
        return NULL;
    PyObject *out = PyDict_New();
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(members); i++) {
        PyObject *m = PyTuple_GET_ITEM(members, i);
        PyObject *kept = lookup(sticky, m), *placed;
        if (kept == NULL) goto fail;
        if (!PyDict_Check(kept) || PyDict_GET_SIZE(kept) != 0) continue;
        if ((placed = lookup(fresh, m)) == NULL) goto fail;
        if (!PyDict_Check(placed) || PyDict_GET_SIZE(placed) != 1) continue;
        Py_ssize_t at = 0;
        PyObject *topic, *list;
        PyDict_Next(placed, &at, &topic, &list);
        if (!PyList_Check(list) || PyList_GET_SIZE(list) == 0) continue;
        Py_ssize_t n = PyList_GET_SIZE(list);
        PyObject *first = PyList_GET_ITEM(list, 0);
        if (!PyTuple_Check(first) || PyTuple_GET_SIZE(first) != 2) continue;
        Py_ssize_t p0 = PyLong_AsSsize_t(PyTuple_GET_ITEM(first, 1));
        if (p0 == -1 && PyErr_Occurred()) { PyErr_Clear(); continue; }
        PyObject *all = PyDict_GetItemWithError(interned, PyTuple_GET_ITEM(first, 0));
        if (all == NULL) { if (PyErr_Occurred()) goto fail; continue; }
        if (!PyTuple_Check(all) || p0 < 0 || p0 + n > PyTuple_GET_SIZE(all)) continue;
        int same = 1, interned_only = 1;
        for (Py_ssize_t j = 0; j < n && same; j++) {
            PyObject *a = PyList_GET_ITEM(list, j), *b = PyTuple_GET_ITEM(all, p0 + j);
            if (a != b) {
                int eq = PyObject_RichCompareBool(a, b, Py_EQ);
                if (eq < 0) goto fail;
                same = eq;
                interned_only = 0;
            }
        }
        if (!same) continue;
        PyObject *run = PyList_AsTuple(list);
        if (run == NULL) goto fail;
        if (interned_only) PyObject_GC_UnTrack(run); /* the metadata's partitions: in no cycle */
        int err = PyDict_SetItem(out, m, run);
        Py_DECREF(run);
        if (err < 0) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"read_assignment", read_assignment, METH_VARARGS,
     "read_assignment(buf, cls) -> (tuple of cls((topic, n)), end) of StickyAssignorUserData"},
    {"partitions", partitions, METH_VARARGS, "partitions(cls, topic, numbers) -> tuple of cls((topic, n))"},
    {"concat", concat, METH_O, "concat(tuple of tuples of partitions) -> one tuple"},
    {"assign", assign, METH_VARARGS, "assign(flat, members, kept, base) -> {member: partitions}"},
    {"runs", runs, METH_VARARGS, "runs(members, sticky, fresh, interned) -> {member: run}, see balance.py"},
    {"fill", fill, METH_VARARGS, "fill(order, topics, count, level, left, parts, fresh), see balance.py"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_stickyext", "Compiled core of strategies.identical.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__stickyext(void) { return PyModule_Create(&module); }

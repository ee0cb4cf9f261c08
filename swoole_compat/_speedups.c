/* Optional C speedups for swoole_compat: WebSocket payload masking.
 *
 * Masking XORs every payload byte with a 4-byte key (RFC 6455 §5.3). In pure Python the best
 * available trick (bytes.translate over stride-4 slices) costs 1-2 ms per MiB and several
 * copies; here the payload is read once and written once, 8 bytes at a time.
 *
 * Everything in this module has a pure-Python fallback in swoole_compat._protocol.frames with
 * the same behaviour; the extension is built when a compiler is available and skipped
 * otherwise (setup.py marks it optional).
 *
 *   apply_mask(data, key) -> bytes
 *       data XOR key repeated; data is any bytes-like object, key exactly 4 bytes.
 *   encode_masked(head, key, payload) -> bytes
 *       head + key + apply_mask(payload, key), built in one allocation (a masked frame).
 *   unmask_join(parts, key) -> bytes
 *       apply_mask(b"".join(parts), key) without the intermediate join: the key phase
 *       continues across parts of any length.
 *   BytesFill(size)
 *       A bytes object of `size` bytes under construction. memoryview(fill) is a writable
 *       view of its storage (the socket receives a known-length body straight into it);
 *       fill.take() hands the bytes out once no view is left, so no Python code ever sees a
 *       bytes object change. Without it the body is the join of the received chunks: one
 *       more copy and twice the fresh memory (page faults) per body.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const char KEY_ERROR[] = "masking key must be 4 bytes";

/* dst[i] = src[i] ^ key[(phase + i) % 4] for i < n. dst may equal src. */
static void
mask_copy(unsigned char *dst, const unsigned char *src, Py_ssize_t n,
          const unsigned char *key, Py_ssize_t phase)
{
    unsigned char k[8];
    uint64_t k64;
    Py_ssize_t i = 0;
    int j;

    for (j = 0; j < 8; j++) {
        k[j] = key[(phase + j) & 3];
    }
    memcpy(&k64, k, 8);
    /* Four words per iteration: the compiler turns the memcpy calls into plain unaligned
       loads and stores. */
    for (; i + 32 <= n; i += 32) {
        uint64_t a, b, c, d;
        memcpy(&a, src + i, 8);
        memcpy(&b, src + i + 8, 8);
        memcpy(&c, src + i + 16, 8);
        memcpy(&d, src + i + 24, 8);
        a ^= k64;
        b ^= k64;
        c ^= k64;
        d ^= k64;
        memcpy(dst + i, &a, 8);
        memcpy(dst + i + 8, &b, 8);
        memcpy(dst + i + 16, &c, 8);
        memcpy(dst + i + 24, &d, 8);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= k64;
        memcpy(dst + i, &v, 8);
    }
    /* i is a multiple of 8 here, so k[i & 7] continues the key phase. */
    for (; i < n; i++) {
        dst[i] = src[i] ^ k[i & 7];
    }
}

/* Fill key[4] from a bytes-like object; -1 with ValueError/TypeError set on failure. */
static int
get_key(PyObject *obj, unsigned char key[4])
{
    Py_buffer view;

    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    if (view.len != 4) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, KEY_ERROR);
        return -1;
    }
    memcpy(key, view.buf, 4);
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *
apply_mask(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    Py_buffer data;
    PyObject *out;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "apply_mask() takes exactly 2 arguments (data, key)");
        return NULL;
    }
    if (get_key(args[1], key) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    out = PyBytes_FromStringAndSize(NULL, data.len);
    if (out != NULL && data.len > 0) {
        mask_copy((unsigned char *)PyBytes_AS_STRING(out), data.buf, data.len, key, 0);
    }
    PyBuffer_Release(&data);
    return out;
}

static PyObject *
encode_masked(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    Py_buffer head, payload;
    PyObject *out;
    unsigned char *dst;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "encode_masked() takes exactly 3 arguments (head, key, payload)");
        return NULL;
    }
    if (get_key(args[1], key) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &head, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], &payload, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&head);
        return NULL;
    }
    if (payload.len > PY_SSIZE_T_MAX - 4 - head.len) {
        PyErr_NoMemory();
        out = NULL;
    }
    else {
        out = PyBytes_FromStringAndSize(NULL, head.len + 4 + payload.len);
    }
    if (out != NULL) {
        dst = (unsigned char *)PyBytes_AS_STRING(out);
        memcpy(dst, head.buf, head.len);
        memcpy(dst + head.len, key, 4);
        mask_copy(dst + head.len + 4, payload.buf, payload.len, key, 0);
    }
    PyBuffer_Release(&payload);
    PyBuffer_Release(&head);
    return out;
}

static PyObject *
unmask_join(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[4];
    PyObject *seq, *out = NULL;
    Py_buffer *views = NULL;
    Py_ssize_t count, i, got = 0, total = 0, pos = 0;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "unmask_join() takes exactly 2 arguments (parts, key)");
        return NULL;
    }
    if (get_key(args[1], key) < 0) {
        return NULL;
    }
    seq = PySequence_Fast(args[0], "unmask_join() parts must be an iterable of bytes-like objects");
    if (seq == NULL) {
        return NULL;
    }
    count = PySequence_Fast_GET_SIZE(seq);
    views = PyMem_New(Py_buffer, count > 0 ? count : 1);
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < count; i++) {
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, i), &views[i], PyBUF_SIMPLE) < 0) {
            goto done;
        }
        got++;
        if (views[i].len > PY_SSIZE_T_MAX - total) {
            PyErr_NoMemory();
            goto done;
        }
        total += views[i].len;
    }
    out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) {
        goto done;
    }
    for (i = 0; i < count; i++) {
        mask_copy((unsigned char *)PyBytes_AS_STRING(out) + pos, views[i].buf, views[i].len, key, pos & 3);
        pos += views[i].len;
    }
done:
    for (i = 0; i < got; i++) {
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(views);
    Py_DECREF(seq);
    return out;
}

/* BytesFill: see the module comment. The bytes object is private until take(): no reference
 * to it leaves this object before then, and take() refuses while views are exported. */
typedef struct {
    PyObject_HEAD
    PyObject *bytes; /* NULL after take() */
    Py_ssize_t exports;
} BytesFill;

static PyObject *
bytesfill_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t size;
    BytesFill *self;

    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "BytesFill() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "n:BytesFill", &size)) {
        return NULL;
    }
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "BytesFill() size must not be negative");
        return NULL;
    }
    self = (BytesFill *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->bytes = PyBytes_FromStringAndSize(NULL, size);
    if (self->bytes == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->exports = 0;
    return (PyObject *)self;
}

static void
bytesfill_dealloc(BytesFill *self)
{
    Py_XDECREF(self->bytes);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
bytesfill_getbuffer(BytesFill *self, Py_buffer *view, int flags)
{
    if (self->bytes == NULL) {
        PyErr_SetString(PyExc_ValueError, "BytesFill: the bytes were already taken");
        view->obj = NULL;
        return -1;
    }
    if (PyBuffer_FillInfo(view, (PyObject *)self, PyBytes_AS_STRING(self->bytes),
                          PyBytes_GET_SIZE(self->bytes), 0, flags) < 0) {
        return -1;
    }
    self->exports++;
    return 0;
}

static void
bytesfill_releasebuffer(BytesFill *self, Py_buffer *view)
{
    self->exports--;
}

static PyObject *
bytesfill_take(BytesFill *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *out = self->bytes;

    if (out == NULL) {
        PyErr_SetString(PyExc_ValueError, "BytesFill: the bytes were already taken");
        return NULL;
    }
    if (self->exports > 0) {
        PyErr_SetString(PyExc_BufferError, "BytesFill: release every view before take()");
        return NULL;
    }
    self->bytes = NULL;
    return out;
}

static PyBufferProcs bytesfill_as_buffer = {
    (getbufferproc)bytesfill_getbuffer,
    (releasebufferproc)bytesfill_releasebuffer,
};

static PyMethodDef bytesfill_methods[] = {
    {"take", (PyCFunction)bytesfill_take, METH_NOARGS,
     "take() -> bytes\n\nThe filled bytes object (once; no view may be alive)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject BytesFillType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "swoole_compat._speedups.BytesFill",
    .tp_basicsize = sizeof(BytesFill),
    .tp_dealloc = (destructor)bytesfill_dealloc,
    .tp_as_buffer = &bytesfill_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "BytesFill(size)\n\nA bytes object filled in place through a writable memoryview, then take()n.",
    .tp_methods = bytesfill_methods,
    .tp_new = bytesfill_new,
};

static PyMethodDef speedups_methods[] = {
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask, METH_FASTCALL,
     "apply_mask(data, key, /) -> bytes\n\nXOR data with the 4-byte key repeated."},
    {"encode_masked", (PyCFunction)(void (*)(void))encode_masked, METH_FASTCALL,
     "encode_masked(head, key, payload, /) -> bytes\n\nhead + key + apply_mask(payload, key) in one buffer."},
    {"unmask_join", (PyCFunction)(void (*)(void))unmask_join, METH_FASTCALL,
     "unmask_join(parts, key, /) -> bytes\n\napply_mask(b''.join(parts), key) without the intermediate copy."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "swoole_compat._speedups",
    "Optional C implementations of hot paths (WebSocket masking, in-place bodies).",
    -1,
    speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module;

    if (PyType_Ready(&BytesFillType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&BytesFillType);
    if (PyModule_AddObject(module, "BytesFill", (PyObject *)&BytesFillType) < 0) {
        Py_DECREF(&BytesFillType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

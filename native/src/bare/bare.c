/*
 * Layer 1, the paper's "bare" interpreter (sections 5.4, 6.1, 6.2), on a
 * stock CPython:
 *  - builtins that carry authority are removed (open becomes a stub);
 *  - type.__subclasses__ answers only for ABCs, which need it;
 *  - code and function objects cannot be constructed or replaced;
 *  - file objects cannot be constructed or re-initialized from Python,
 *    while objcap's C code still can (the paper's PyFile_Init);
 *  - function __globals__, __builtins__ and __closure__ become audited
 *    reads, which the audit hook denies in a sandbox.
 * Static types are shared by every interpreter on 3.11 and their dicts are
 * per interpreter on 3.12+, so ocap_bare_patch_types() runs for every
 * interpreter and is idempotent.
 *
 * A CPython rebuilt with cpython-patches/ does some of this itself, more
 * robustly than surgery on its internals can.  Each patch exports a marker
 * symbol; where one is present the matching surgery is skipped and the
 * rest (and layers 2-6) stays.
 */
#include "base/base.h"
#include "bare/guards/guards.h"
#include "bare/bare.h"

#include <stdio.h>
#include <string.h>
#include <structmember.h>

/* ---- markers of a patched CPython ---- */

/* Weak: a stock libpython defines none of them, and they stay NULL. */
extern PyObject *PyFile_Init(PyObject *args, PyObject *kwargs)
    __attribute__((weak));
extern const int _Py_objcap_closed_constructors __attribute__((weak));
extern const int _Py_objcap_audited_reads __attribute__((weak));
extern const int _Py_objcap_fork_exec_audit __attribute__((weak));
extern const int _Py_objcap_private_closures __attribute__((weak));

static int
patched_file_init(void)
{
    return PyFile_Init != NULL;
}

static int
patched_constructors(void)
{
    return &_Py_objcap_closed_constructors != NULL;
}

static int
patched_audited_reads(void)
{
    return &_Py_objcap_audited_reads != NULL;
}

static char patch_names[160];
static pthread_once_t patch_names_once = PTHREAD_ONCE_INIT;

static void
name_patches(void)
{
    char buf[sizeof patch_names];
    snprintf(buf, sizeof buf, "%s%s%s%s%s",
             patched_file_init() ? " file-init" : "",
             patched_constructors() ? " closed-constructors" : "",
             patched_audited_reads() ? " audited-reads" : "",
             &_Py_objcap_fork_exec_audit != NULL ? " fork-exec-audit" : "",
             &_Py_objcap_private_closures != NULL ? " private-closures" : "");
    snprintf(patch_names, sizeof patch_names, "%s", buf[0] ? buf + 1 : "none");
}

/* The patches found in this libpython, by name, or "none". */
const char *
ocap_bare_cpython_patches(void)
{
    pthread_once(&patch_names_once, name_patches);
    return patch_names;
}

/* ---- builtins ---- */

static void
count(const char *what)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (sb != NULL) {
        ocap_sandbox_count_denial(sb, what);
    }
}

static PyObject *
open_stub(PyObject *self, PyObject *args, PyObject *kwargs)
{
    count("open()");
    PyErr_SetString(PyExc_PermissionError,
                    "open() is not available in this sandbox; the host can "
                    "grant a directory capability instead");
    return NULL;
}

static PyMethodDef open_stub_def = {
    "open", (PyCFunction)(void (*)(void))open_stub,
    METH_VARARGS | METH_KEYWORDS,
    "Not available in this sandbox: files come from capabilities."};

static const char *const removed_builtins[] = {
    "breakpoint", "input",   "help",       "exit",     "quit", "license",
    "copyright",  "credits", "__loader__", "__spec__", NULL};

int
ocap_bare_patch_builtins(PyObject *builtins_dict)
{
    for (const char *const *name = removed_builtins; *name; name++) {
        if (PyDict_DelItemString(builtins_dict, *name) < 0) {
            if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
                return -1;
            }
            PyErr_Clear();
        }
    }
    PyObject *stub = PyCFunction_New(&open_stub_def, NULL);
    if (stub == NULL) {
        return -1;
    }
    int rc = PyDict_SetItemString(builtins_dict, "open", stub);
    Py_DECREF(stub);
    return rc;
}

/* ---- type dicts ---- */

static int
dict_remove(PyTypeObject *type, const char *name)
{
    PyObject *dict = ocap_type_dict(type);
    if (dict == NULL || PyDict_DelItemString(dict, name) == 0) {
        return 0;
    }
    if (PyErr_ExceptionMatches(PyExc_KeyError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}

/* ---- type.__subclasses__ ---- */

/* type.__subclasses__'s C function: the same in every interpreter (one
   PyMethodDef behind every interpreter's descriptor), taken in the main
   interpreter when the runtime starts and only read after.  Not the
   descriptor object, which belongs to the interpreter that made it. */
static PyCFunction original_subclasses;

/* An ABC: a class whose metaclass derives from a class named ABCMeta. */
static int
is_abc(PyObject *cls)
{
    if (!PyType_Check(cls) ||
        !(((PyTypeObject *)cls)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return 0;
    }
    PyObject *mro = Py_TYPE(cls)->tp_mro;
    for (Py_ssize_t i = 0; mro && i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        const char *dot = strrchr(t->tp_name, '.');
        if (strcmp(dot ? dot + 1 : t->tp_name, "ABCMeta") == 0) {
            return 1;
        }
    }
    return 0;
}

static PyObject *
subclasses_for_abcs(PyObject *self, PyObject *unused)
{
    if (!is_abc(self) || original_subclasses == NULL) {
        count("type.__subclasses__");
        PyErr_Format(PyExc_AttributeError,
                     "'__subclasses__' is not available in this sandbox");
        return NULL;
    }
    return original_subclasses(self, NULL);
}

static PyMethodDef subclasses_def = {
    "__subclasses__", subclasses_for_abcs, METH_NOARGS,
    "Subclasses of an ABC; not available for other classes in a sandbox."};

static int
patch_subclasses(void)
{
    PyObject *dict = ocap_type_dict(&PyType_Type);
    PyObject *current = PyDict_GetItemString(dict, "__subclasses__");
    if (current == NULL) {
        return 0;
    }
    if (PyObject_TypeCheck(current, &PyMethodDescr_Type) &&
        ((PyMethodDescrObject *)current)->d_method == &subclasses_def) {
        return 0; /* this interpreter's dict is patched already */
    }
    if (!PyObject_TypeCheck(current, &PyMethodDescr_Type) ||
        !(((PyMethodDescrObject *)current)->d_method->ml_flags &
          METH_NOARGS)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "type.__subclasses__ is not as expected");
        return -1;
    }
    PyCFunction function = ((PyMethodDescrObject *)current)->d_method->ml_meth;
    if (original_subclasses == NULL) {
        if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
            PyErr_SetString(PyExc_RuntimeError,
                            "type.__subclasses__ was not patched at start-up");
            return -1;
        }
        original_subclasses = function;
    }
    else if (original_subclasses != function) {
        PyErr_SetString(PyExc_RuntimeError,
                        "type.__subclasses__ differs between interpreters");
        return -1;
    }
    PyObject *mine = PyDescr_NewMethod(&PyType_Type, &subclasses_def);
    if (mine == NULL) {
        return -1;
    }
    int rc = PyDict_SetItemString(dict, "__subclasses__", mine);
    Py_DECREF(mine);
    return rc;
}

/* ---- code and function objects ---- */

static int
close_constructors(void)
{
    /* The slots are shared by every interpreter: written once, by the
       main interpreter at start, and only read by the others (which run
       in parallel with GILs of their own on 3.12+). */
    if (PyCode_Type.tp_new != NULL || PyFunction_Type.tp_new != NULL) {
        if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
            PyErr_SetString(PyExc_RuntimeError,
                            "code and function constructors are open");
            return -1;
        }
        PyCode_Type.tp_new = NULL;
        PyFunction_Type.tp_new = NULL;
    }
    /* With tp_new NULL the dict's __new__ would call a NULL slot: remove
       it, so __new__ resolves to object's, which refuses these types. */
    if (dict_remove(&PyCode_Type, "__new__") < 0 ||
        dict_remove(&PyCode_Type, "replace") < 0 ||
        dict_remove(&PyCode_Type, "__replace__") < 0 ||
        dict_remove(&PyFunction_Type, "__new__") < 0) {
        return -1;
    }
    return 0;
}

/* ---- audited reads of function internals ---- */

static PyMemberDef audited_function_members[] = {
    {"__globals__", T_OBJECT, offsetof(PyFunctionObject, func_globals),
     READONLY | PY_AUDIT_READ, NULL},
    {"__builtins__", T_OBJECT, offsetof(PyFunctionObject, func_builtins),
     READONLY | PY_AUDIT_READ, NULL},
    {"__closure__", T_OBJECT, offsetof(PyFunctionObject, func_closure),
     READONLY | PY_AUDIT_READ, NULL},
    {NULL, 0, 0, 0, NULL}};

static int
audit_function_members(void)
{
    PyObject *dict = ocap_type_dict(&PyFunction_Type);
    for (PyMemberDef *m = audited_function_members; m->name; m++) {
        PyObject *current = PyDict_GetItemString(dict, m->name);
        /* Absent: a patched CPython keeps closures private; adding the
           member back would undo that. */
        if (current == NULL ||
            (PyObject_TypeCheck(current, &PyMemberDescr_Type) &&
             (((PyMemberDescrObject *)current)->d_member->flags &
              PY_AUDIT_READ))) {
            continue;
        }
        /* Still a member descriptor, so `import types` keeps working. */
        PyObject *descr = PyDescr_NewMember(&PyFunction_Type, m);
        if (descr == NULL || PyDict_SetItemString(dict, m->name, descr) < 0) {
            Py_XDECREF(descr);
            return -1;
        }
        Py_DECREF(descr);
    }
    return 0;
}

/* ---- file objects: never constructible from Python in a sandbox ----
 *
 * The types' slots become gates that refuse in an armed sandbox; objcap's
 * own C code calls the original slots it keeps here (ocap_bare_new_file),
 * so no gate ever opens for whatever Python runs meanwhile. */

typedef struct {
    const char *name;
    newfunc new;
    initproc init;
} gated_type;

static gated_type gated[] = {{"_io.FileIO", NULL, NULL},
                             {"_io.BufferedReader", NULL, NULL},
                             {"_io.BufferedWriter", NULL, NULL},
                             {"_io.BufferedRandom", NULL, NULL},
                             {"_io.BufferedRWPair", NULL, NULL},
                             {"_io.TextIOWrapper", NULL, NULL},
                             {NULL, NULL, NULL}};

/* The gated type a (sub)class derives from. */
static gated_type *
gated_base(PyTypeObject *type)
{
    for (PyTypeObject *t = type; t != NULL; t = t->tp_base) {
        for (gated_type *g = gated; g->name; g++) {
            if (strcmp(t->tp_name, g->name) == 0) {
                return g;
            }
        }
    }
    return NULL;
}

static int
file_creation_allowed(PyTypeObject *type)
{
    ocap_sandbox *sb = ocap_trust_armed_sandbox();
    if (sb == NULL) {
        return 1; /* the host's interpreter, or one objcap is building */
    }
    ocap_sandbox_count_denial(sb, "file object construction");
    PyErr_Format(PyExc_TypeError,
                 "cannot create or initialize '%.100s' objects in this "
                 "sandbox; files come from capabilities",
                 type->tp_name);
    return 0;
}

static PyObject *
gated_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    gated_type *g = gated_base(type);
    if (g == NULL || g->new == NULL) {
        PyErr_SetString(PyExc_TypeError, "cannot create this file object");
        return NULL;
    }
    if (!file_creation_allowed(type)) {
        return NULL;
    }
    return g->new (type, args, kwargs);
}

static int
gated_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    gated_type *g = gated_base(Py_TYPE(self));
    if (g == NULL || g->init == NULL) {
        PyErr_SetString(PyExc_TypeError, "cannot initialize this file object");
        return -1;
    }
    if (!file_creation_allowed(Py_TYPE(self))) {
        return -1;
    }
    return g->init(self, args, kwargs);
}

/* Gates the file types of this interpreter's _io module. */
static int
gate_file_types(void)
{
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *io = PyDict_GetItemString(modules, "_io");
    if (io == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_io is not loaded");
        return -1;
    }
    for (gated_type *g = gated; g->name; g++) {
        /* Patched: Python cannot create or initialize a FileIO at all. */
        if (patched_file_init() && strcmp(g->name, "_io.FileIO") == 0) {
            continue;
        }
        PyObject *t = PyObject_GetAttrString(io, g->name + 4);
        if (t == NULL) {
            return -1;
        }
        PyTypeObject *type = (PyTypeObject *)t;
        if (type->tp_new != gated_new) {
            /* The table is filled by the main interpreter at start and only
               read after (3.12+: each _io has types of its own, whose slots
               are the same functions in every interpreter). */
            if (g->new == NULL) {
                if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
                    PyErr_Format(PyExc_RuntimeError,
                                 "%s was not gated at start-up", g->name);
                    Py_DECREF(t);
                    return -1;
                }
                g->new = type->tp_new;
                g->init = type->tp_init;
            }
            else if (g->new != type->tp_new || g->init != type->tp_init) {
                PyErr_Format(PyExc_RuntimeError, "%s has unexpected slots",
                             g->name);
                Py_DECREF(t);
                return -1;
            }
            type->tp_new = gated_new;
            type->tp_init = gated_init;
        }
        /* The dict's __init__ wrapper calls the original function, not the
           slot, so it goes; __new__ then resolves to a base, which refuses
           ("not safe") because the slot differs. */
        int rc = dict_remove(type, "__init__") | dict_remove(type, "__new__");
        ocap_type_modified(type);
        Py_DECREF(t);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * Creates a file object of a gated type (exactly that type, as the hidden
 * _io module holds it) from objcap's own C code, through the slots the
 * gates replaced: nothing is lowered, so Python that runs inside (a codec
 * the script registered, a finalizer) meets the gates and the audit hook
 * as anywhere else.  On a CPython with cpython-patches 0001 FileIO is not
 * gated here and cannot be built at all (PyFile_Init makes raw files).
 */
PyObject *
ocap_bare_new_file(PyObject *type_object, PyObject *args)
{
    if (type_object == NULL || args == NULL || !PyType_Check(type_object) ||
        !PyTuple_Check(args)) {
        PyErr_SetString(PyExc_SystemError, "ocap_bare_new_file: bad call");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)type_object;
    gated_type *g = gated_base(type);
    /* Not a subclass: a script's class may carry any name, but it is a
       mutable heap type. */
    if (g == NULL || g->new == NULL || g->init == NULL ||
        strcmp(type->tp_name, g->name) != 0 ||
        ((type->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
         !(type->tp_flags & Py_TPFLAGS_IMMUTABLETYPE))) {
        PyErr_Format(PyExc_SystemError, "'%.100s' is not a gated file type",
                     type->tp_name);
        return NULL;
    }
    /* Every file type's __new__ ignores its arguments, and from 3.12 some
       inherit object's, which refuses any while the slot is a gate. */
    PyObject *none = PyTuple_New(0);
    PyObject *self = none ? g->new (type, none, NULL) : NULL;
    Py_XDECREF(none);
    if (self == NULL) {
        return NULL;
    }
    if (g->init(self, args, NULL) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return self;
}

int
ocap_bare_patch_types(void)
{
    if (patch_subclasses() < 0 ||
        (!patched_constructors() && close_constructors() < 0) ||
        (!patched_audited_reads() && audit_function_members() < 0) ||
        gate_file_types() < 0 || ocap_list_compare_patch() < 0 ||
        ocap_iterator_guard_builtins() < 0 ||
        ocap_set_guard_abc_modules() < 0) {
        return -1;
    }
    ocap_type_modified(&PyType_Type);
    ocap_type_modified(&PyCode_Type);
    ocap_type_modified(&PyFunction_Type);
    return 0;
}

/*
 * The C side of libllmkit.so: the functions of llmkit.h, each a thin wrapper of its Python twin.
 *
 * The build (llmkit/capi/_build.py) appends this file to the C source cffi writes, after
 * "_llmkit_build.h", which it generates: LLMKIT_VERSION_TEXT, LLMKIT_BOOT_CODE (the Python code
 * that puts the environment on sys.path) and the declarations of the Python twins
 * (llmkit_py_run for llmkit_run, ...), whose bodies cffi writes.
 *
 * Guarantees:
 * - Python starts once, on the first call that needs it, with Py_InitializeFromConfig: a
 *   Python that cannot start (no standard library, a broken PYTHONHOME) gives LLMKIT_ERR_INIT
 *   and a message, never an exit of the host. The environment's site-packages are on sys.path
 *   before cffi imports its backend from it.
 * - If Python or cffi's start-up fails, every function answers as the header says for
 *   LLMKIT_ERR_INIT (a status, NULL, or the message); cffi's own answer there would be 0,
 *   which reads as LLMKIT_OK.
 * - Nothing of Python reaches the host's stderr while llmkit starts: what cffi would print
 *   there is kept, and its last line ends the message of LLMKIT_ERR_INIT.
 * - The library works when the host loads it with dlopen(RTLD_LOCAL): before Python starts,
 *   the libpython it links is made global (RTLD_NOLOAD | RTLD_GLOBAL), so the extension
 *   modules Python loads find its symbols. The library is linked -z nodelete: dlclose never
 *   unloads it (a worker thread may still be returning from a tool callback).
 * - In a child forked while llmkit ran (from its start to llmkit_shutdown, and again from
 *   the next call that starts it), every function answers LLMKIT_ERR_STATE (NULL, nothing) without
 *   entering Python: llmkit's threads did not follow the fork, and a call would wait for them
 *   forever.
 * - llmkit_version, llmkit_abi_version, llmkit_free(NULL) and llmkit_client_free(NULL) never
 *   start Python.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmkit.h"

/* The library is compiled with -fvisibility=hidden: only these functions are its interface. */
#define LLMKIT_EXPORT __attribute__((visibility("default")))

static pthread_once_t llmkit_once = PTHREAD_ONCE_INIT;
static int llmkit_ready; /* 1: Python and llmkit's exports are up */
static char llmkit_start_error[1024] =
    "llmkit could not start its Python: cffi's start-up failed (its message is on stderr); set "
    "LLMKIT_PYTHON_ENV to a virtual environment where 'llmkit[capi]' is installed";

/* 1 while llmkit runs (its Python side says so); a fork copies it into the child's gate. */
static volatile int llmkit_running;
static volatile int llmkit_forked;
static const char llmkit_fork_error[] =
    "llmkit was running when this process forked, and its threads stay in the parent: a forked "
    "child cannot use it. Start llmkit in the child only (after fork), or call llmkit_shutdown "
    "before fork";

static void llmkit_set_running(int running) { llmkit_running = running; }

static void llmkit_after_fork_in_child(void) {
    if (llmkit_running) llmkit_forked = 1;
}

/* Make the libpython this library links global, as a host's dlopen(RTLD_LOCAL) did not:
   extension modules (cffi's _cffi_backend) resolve Python's symbols in the global scope. */
static void llmkit_python_global(void) {
    Dl_info info;
    if (dladdr((void *)&Py_IsInitialized, &info) != 0 && info.dli_fname != NULL) {
        /* Kept open for the life of the process: libpython is never unloaded. */
        (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    }
}

/* Python code run around cffi's start-up: its report goes to a buffer, not the host's stderr. */
static const char LLMKIT_QUIET[] =
    "import io, sys\n"
    "_llmkit_stderr = sys.stderr\n"
    "sys.stderr = io.StringIO()\n";
static const char LLMKIT_LOUD[] =
    "_llmkit_report = sys.stderr.getvalue()\n"
    "sys.stderr = _llmkit_stderr\n"
    "_llmkit_report = ([l.strip() for l in _llmkit_report.splitlines() if l.strip()"
    " and not l.startswith((' ', 'From:', 'compiled with', '_cffi_backend module:', 'sys.path:'))]"
    " or ['no report'])[-1]\n";

static void llmkit_start(void) {
    PyObject *boot = NULL;
    llmkit_python_global();
    pthread_atfork(NULL, NULL, llmkit_after_fork_in_child);
    if (!Py_IsInitialized()) {
        PyConfig config;
        PyConfig_InitPythonConfig(&config);
        config.install_signal_handlers = 0; /* the host's signals stay the host's */
        config.parse_argv = 0;
        PyStatus status = Py_InitializeFromConfig(&config);
        PyConfig_Clear(&config);
        if (PyStatus_Exception(status)) {
            snprintf(llmkit_start_error, sizeof llmkit_start_error,
                     "llmkit could not start its Python: %s%s%s", status.func ? status.func : "",
                     status.func ? ": " : "", status.err_msg ? status.err_msg : "unknown error");
            return;
        }
        /* Put the environment on sys.path, in a namespace of its own. Its errors are cleared
           here: boot() meets them again and explains them through llmkit_last_error. */
        boot = PyDict_New();
        if (boot != NULL && PyDict_SetItemString(boot, "__builtins__", PyEval_GetBuiltins()) == 0) {
            PyObject *done = PyRun_String(LLMKIT_BOOT_CODE, Py_file_input, boot, boot);
            Py_XDECREF(done);
            PyErr_Clear();
            done = PyRun_String(LLMKIT_QUIET, Py_file_input, boot, boot);
            Py_XDECREF(done);
        }
        PyErr_Clear();
        PyEval_SaveThread(); /* release the interpreter lock, as cffi's own start-up does */
    }
    llmkit_ready = cffi_start_python() == 0;
    if (llmkit_ready) llmkit_running = 1; /* until llmkit_shutdown */
    if (boot != NULL) {
        PyGILState_STATE state = PyGILState_Ensure();
        PyObject *done = PyRun_String(LLMKIT_LOUD, Py_file_input, boot, boot);
        Py_XDECREF(done);
        PyObject *report = PyDict_GetItemString(boot, "_llmkit_report"); /* borrowed */
        const char *text = report != NULL ? PyUnicode_AsUTF8(report) : NULL;
        if (!llmkit_ready && text != NULL) {
            snprintf(llmkit_start_error, sizeof llmkit_start_error,
                     "llmkit could not start its Python: cffi's start-up failed (%s); set "
                     "LLMKIT_PYTHON_ENV to a virtual environment where 'llmkit[capi]' is installed",
                     text);
        }
        PyErr_Clear();
        Py_DECREF(boot);
        PyGILState_Release(state);
    }
}

static int llmkit_up(void) {
    if (llmkit_forked) return 0;
    pthread_once(&llmkit_once, llmkit_start);
    return llmkit_ready;
}

/* The status of a call llmkit_up() refused. */
static llmkit_status llmkit_down(void) { return llmkit_forked ? LLMKIT_ERR_STATE : LLMKIT_ERR_INIT; }

LLMKIT_EXPORT const char *llmkit_version(void) { return LLMKIT_VERSION_TEXT; }

LLMKIT_EXPORT int llmkit_abi_version(void) { return LLMKIT_ABI_VERSION; }

LLMKIT_EXPORT llmkit_status llmkit_init(const char *options_json) {
    return llmkit_up() ? llmkit_py_init(options_json) : llmkit_down();
}

LLMKIT_EXPORT llmkit_status llmkit_shutdown(void) {
    return llmkit_up() ? llmkit_py_shutdown() : llmkit_down();
}

LLMKIT_EXPORT llmkit_client *llmkit_client_new(const char *options_json) {
    return llmkit_up() ? llmkit_py_client_new(options_json) : NULL;
}

LLMKIT_EXPORT void llmkit_client_free(llmkit_client *client) {
    if (client != NULL && llmkit_up()) llmkit_py_client_free(client);
}

LLMKIT_EXPORT llmkit_status llmkit_tool_register(llmkit_client *client, const char *name, const char *schema_json,
                                   llmkit_tool_fn fn, void *userdata) {
    return llmkit_up() ? llmkit_py_tool_register(client, name, schema_json, fn, userdata)
                       : llmkit_down();
}

LLMKIT_EXPORT llmkit_status llmkit_run(llmkit_client *client, const char *request_json, char **out_json) {
    if (out_json != NULL) *out_json = NULL;
    return llmkit_up() ? llmkit_py_run(client, request_json, out_json) : llmkit_down();
}

LLMKIT_EXPORT llmkit_status llmkit_stream(llmkit_client *client, const char *request_json, llmkit_event_fn fn,
                            void *userdata) {
    return llmkit_up() ? llmkit_py_stream(client, request_json, fn, userdata) : llmkit_down();
}

LLMKIT_EXPORT llmkit_status llmkit_cancel(llmkit_client *client) {
    return llmkit_up() ? llmkit_py_cancel(client) : llmkit_down();
}

LLMKIT_EXPORT const char *llmkit_last_error(const llmkit_client *client) {
    if (llmkit_forked) return llmkit_fork_error;
    return llmkit_up() ? llmkit_py_last_error(client) : llmkit_start_error;
}

LLMKIT_EXPORT void llmkit_free(void *p) {
    if (p != NULL && llmkit_up()) llmkit_py_free(p);
}

LLMKIT_EXPORT llmkit_status llmkit_json_get(const char *json, const char *pointer, char **out_json) {
    if (out_json != NULL) *out_json = NULL;
    return llmkit_up() ? llmkit_py_json_get(json, pointer, out_json) : llmkit_down();
}

LLMKIT_EXPORT llmkit_status llmkit_json_text(const char *json, const char *pointer, char **out_text) {
    if (out_text != NULL) *out_text = NULL;
    return llmkit_up() ? llmkit_py_json_text(json, pointer, out_text) : llmkit_down();
}

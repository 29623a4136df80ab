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
 * - llmkit_version, llmkit_abi_version, llmkit_free(NULL) and llmkit_client_free(NULL) never
 *   start Python.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "llmkit.h"

/* The library is compiled with -fvisibility=hidden: only these functions are its interface. */
#define LLMKIT_EXPORT __attribute__((visibility("default")))

static pthread_once_t llmkit_once = PTHREAD_ONCE_INIT;
static int llmkit_ready; /* 1: Python and llmkit's exports are up */
static char llmkit_start_error[1024] =
    "llmkit could not start its Python: cffi's start-up failed (its message is on stderr); set "
    "LLMKIT_PYTHON_ENV to a virtual environment where 'llmkit[capi]' is installed";

static void llmkit_start(void) {
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
        PyObject *globals = PyDict_New();
        if (globals != NULL && PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0) {
            PyObject *done = PyRun_String(LLMKIT_BOOT_CODE, Py_file_input, globals, globals);
            Py_XDECREF(done);
        }
        Py_XDECREF(globals);
        PyErr_Clear();
        PyEval_SaveThread(); /* release the interpreter lock, as cffi's own start-up does */
    }
    llmkit_ready = cffi_start_python() == 0;
}

static int llmkit_up(void) {
    pthread_once(&llmkit_once, llmkit_start);
    return llmkit_ready;
}

LLMKIT_EXPORT const char *llmkit_version(void) { return LLMKIT_VERSION_TEXT; }

LLMKIT_EXPORT int llmkit_abi_version(void) { return LLMKIT_ABI_VERSION; }

LLMKIT_EXPORT llmkit_status llmkit_init(const char *options_json) {
    return llmkit_up() ? llmkit_py_init(options_json) : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT llmkit_status llmkit_shutdown(void) {
    return llmkit_up() ? llmkit_py_shutdown() : LLMKIT_ERR_INIT;
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
                       : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT llmkit_status llmkit_run(llmkit_client *client, const char *request_json, char **out_json) {
    if (out_json != NULL) *out_json = NULL;
    return llmkit_up() ? llmkit_py_run(client, request_json, out_json) : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT llmkit_status llmkit_stream(llmkit_client *client, const char *request_json, llmkit_event_fn fn,
                            void *userdata) {
    return llmkit_up() ? llmkit_py_stream(client, request_json, fn, userdata) : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT llmkit_status llmkit_cancel(llmkit_client *client) {
    return llmkit_up() ? llmkit_py_cancel(client) : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT const char *llmkit_last_error(const llmkit_client *client) {
    return llmkit_up() ? llmkit_py_last_error(client) : llmkit_start_error;
}

LLMKIT_EXPORT void llmkit_free(void *p) {
    if (p != NULL && llmkit_up()) llmkit_py_free(p);
}

LLMKIT_EXPORT llmkit_status llmkit_json_get(const char *json, const char *pointer, char **out_json) {
    if (out_json != NULL) *out_json = NULL;
    return llmkit_up() ? llmkit_py_json_get(json, pointer, out_json) : LLMKIT_ERR_INIT;
}

LLMKIT_EXPORT llmkit_status llmkit_json_text(const char *json, const char *pointer, char **out_text) {
    if (out_text != NULL) *out_text = NULL;
    return llmkit_up() ? llmkit_py_json_text(json, pointer, out_text) : LLMKIT_ERR_INIT;
}

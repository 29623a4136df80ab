/*
 * llmkit.h - run llmkit agents from C and from any language with a C FFI.
 *
 * libllmkit.so embeds a Python interpreter that runs llmkit. Build it with
 * `make capi` or `llmkit capi build --out DIR`; link with -lllmkit (and an
 * rpath to DIR). The interpreter starts on the first call that needs it
 * (llmkit_version and llmkit_abi_version never do); docs/c-api.md says how the
 * library finds its Python environment.
 *
 *   llmkit_client *c = llmkit_client_new("{\"model\": \"openai/gpt-4.1-mini\"}");
 *   char *out = NULL;
 *   if (llmkit_run(c, "{\"input\": \"Hello\"}", &out) != LLMKIT_OK)
 *       fprintf(stderr, "%s\n", llmkit_last_error(c));
 *   else
 *       puts(out);                      // the RunResult as versioned JSON
 *   llmkit_free(out);
 *   llmkit_client_free(c);
 *
 * Text
 *   Every string passed in or out is NUL-terminated UTF-8. Invalid UTF-8 in,
 *   or JSON spelling a lone surrogate ("\ud800"), gets LLMKIT_ERR_UTF8. JSON
 *   is read strictly: NaN, Infinity and numbers beyond a double (1e400) are
 *   LLMKIT_ERR_JSON. Every JSON payload llmkit hands out is llmkit's
 *   versioned envelope: {"llmkit": 1, "kind": "...", "data": {...}}.
 *
 * Ownership
 *   - A string llmkit hands out through an out-parameter (char **) is yours:
 *     free it with llmkit_free(), once. llmkit_free() of a pointer it did not
 *     hand out, or of one already freed, does nothing and sets the thread's
 *     last error; but a second free of an address handed out again since (to
 *     a newer string) frees that string: only the address reaches llmkit.
 *   - const char * results (llmkit_version, llmkit_last_error) belong to
 *     llmkit: do not free them; copy them to keep them (lifetimes below).
 *   - The strings llmkit passes to your callbacks are valid during the call
 *     only.
 *   - A tool callback returns a string from malloc() (or strdup()); llmkit
 *     frees it with free().
 *   - A client is freed with llmkit_client_free(), once. A freed handle, a
 *     handle freed twice, and a pointer that never was a handle are caught
 *     (LLMKIT_ERR_HANDLE): handles are checked ids, never dereferenced.
 *
 * Threads
 *   - Every function may be called from any thread. One client may be used by
 *     several threads at once; its calls run concurrently.
 *   - While a call waits (for a model, a tool, an event), it holds no lock of
 *     llmkit and not the Python interpreter lock: other threads go on.
 *   - A client's callbacks (tools' and events', of all its calls) run one at
 *     a time, each call's in order; other clients' run at the same time.
 *   - Tool callbacks run on llmkit's worker threads; event callbacks on the
 *     thread that called llmkit_stream().
 *   - A callback may call llmkit (for example llmkit_cancel, or a run of its
 *     own client), but not llmkit_shutdown(), however deeply nested.
 *
 * Loading, fork
 *   dlopen() with RTLD_LOCAL works (no RTLD_GLOBAL needed). dlclose() never
 *   unloads the library (it is linked -z nodelete). In a child forked while
 *   llmkit ran, every call returns LLMKIT_ERR_STATE: start llmkit in the
 *   child only, or call llmkit_shutdown() before fork().
 *
 * Errors
 *   Every function that can fail returns an llmkit_status and records a
 *   message: llmkit_last_error(client) for the client, llmkit_last_error(NULL)
 *   for the calling thread. No Python exception and no crash crosses this
 *   interface; a bug inside llmkit is LLMKIT_ERR_INTERNAL with its message.
 *
 * 64-bit platforms only (handles are 64-bit ids).
 */
#ifndef LLMKIT_H
#define LLMKIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes; llmkit_abi_version() gives the
 * library's. They differ only when the library was built for another header. */
#define LLMKIT_ABI_VERSION 1

/* llmkit-api-begin (what libllmkit.so exports, read by the build as is) */

/* A client: its own model options, tools, sessions and last error. Opaque. */
typedef struct llmkit_client llmkit_client;

/* What a call gives back. The values are fixed for ABI version 1. */
typedef enum llmkit_status {
    LLMKIT_OK = 0,              /* it worked */
    LLMKIT_ERR_ARGUMENT = 1,    /* a NULL pointer, or JSON of the wrong shape: an unknown key,
                                   a value of the wrong type or out of range */
    LLMKIT_ERR_JSON = 2,        /* a string that is not JSON (NaN and 1e400 are not), or
                                   JSON nested past llmkit's limit of 500 levels */
    LLMKIT_ERR_UTF8 = 3,        /* a string that is not UTF-8, or JSON with a lone surrogate;
                                   a text to hand out holding U+0000 (a C string ends there) */
    LLMKIT_ERR_NOT_FOUND = 4,   /* an unknown id: a tool name no llmkit_tool_register gave,
                                   an unknown provider */
    LLMKIT_ERR_RUN = 5,         /* the run failed: the provider refused it or is down, a limit
                                   was reached, the model's answer was invalid */
    LLMKIT_ERR_TOOL = 6,        /* a tool callback returned NULL, text that is not UTF-8 or
                                   not JSON (NaN, a lone surrogate) */
    LLMKIT_ERR_CANCELLED = 7,   /* llmkit_cancel(), or an event callback returned nonzero */
    LLMKIT_ERR_TIMEOUT = 8,     /* the run took longer than its timeout, or a tool callback
                                   longer than the client's tool_timeout */
    LLMKIT_ERR_STATE = 9,       /* not possible now: the client was freed while the call ran,
                                   llmkit_shutdown() ran meanwhile, a tool name is taken, the
                                   process is a child forked while llmkit ran */
    LLMKIT_ERR_INIT = 10,       /* llmkit could not start: Python itself could not (a broken
                                   PYTHONHOME), or the environment is missing, or llmkit or
                                   cffi is not installed in it */
    LLMKIT_ERR_INTERNAL = 11,   /* a bug in llmkit: the message says what happened */
    LLMKIT_ERR_HANDLE = 12      /* a client handle that is freed, or never was a handle */
} llmkit_status;

/* The library's llmkit version, such as "0.1.0". Static: never free it. */
const char *llmkit_version(void);

/* The library's ABI version: compare with LLMKIT_ABI_VERSION. */
int llmkit_abi_version(void);

/* Starts llmkit. Optional: the first call of any other function starts it
 * with the default options. options_json may be NULL or an object:
 *   "tool_threads": worker threads for tool callbacks (default 32).
 * Called again once started, it changes nothing and returns LLMKIT_OK
 * (LLMKIT_ERR_STATE if options_json asks for other options). */
llmkit_status llmkit_init(const char *options_json);

/* Stops llmkit: cancels every running call (they return
 * LLMKIT_ERR_STATE), frees every client, stops llmkit's thread. Every handle
 * is invalid afterwards; the next call starts llmkit again. The Python
 * interpreter itself stays loaded (Python cannot be restarted in a process).
 * Not from inside a callback: that gives LLMKIT_ERR_STATE. */
llmkit_status llmkit_shutdown(void);

/* A new client, or NULL (then llmkit_last_error(NULL) says why). options_json
 * is an object:
 *   "model" (required): "provider/model", such as "openai/gpt-4.1-mini";
 *   "base_url", "api_key", "timeout", "max_retries", "headers": the model
 *       options, as in Python (the API key is read from the provider's usual
 *       environment variable when not given, and never appears in messages);
 *   "instructions", "name", "max_steps", "settings" (model settings such as
 *       temperature), "run_timeout" (seconds): the agent's, as in Python;
 *   "tool_timeout": seconds a tool callback may take (default 60);
 *   "store": a SQLite file keeping the client's sessions (default: in memory,
 *       for the client's lifetime); its folder must exist. */
llmkit_client *llmkit_client_new(const char *options_json);

/* Frees a client. Calls running on it stop: they return LLMKIT_ERR_STATE.
 * A NULL client does nothing; a freed or unknown one sets the thread's last
 * error (LLMKIT_ERR_HANDLE) and does nothing else. */
void llmkit_client_free(llmkit_client *client);

/* A tool: receives its arguments as a JSON object, returns its result as
 * JSON text in memory from malloc() (llmkit frees it with free()). A JSON
 * string result ("\"sunny\"") reaches the model as text. Return NULL, or text
 * that is not UTF-8 JSON, and the run fails with LLMKIT_ERR_TOOL. userdata is
 * what was given to llmkit_tool_register. */
typedef char *(*llmkit_tool_fn)(const char *args_json, void *userdata);

/* Gives the client a tool named name (letters, digits, '_' and '-'),
 * its arguments described by schema_json (a JSON schema of an object; its
 * "description", if any, tells the model what the tool does). The tool is
 * offered to the model on every run of the client unless the request names
 * its "tools". A name already registered gives LLMKIT_ERR_STATE. */
llmkit_status llmkit_tool_register(llmkit_client *client, const char *name, const char *schema_json,
                                   llmkit_tool_fn fn, void *userdata);

/* Runs the client's agent to its final answer. request_json is an object:
 *   "input" (required): the user's message, a string;
 *   "session": a conversation id: the run continues it and appends to it
 *       (stored in the client's store, as llmkit.durable's sessions);
 *   "tools": the names of the registered tools to offer (default: all);
 *   "max_steps", "timeout" (seconds): for this run only.
 * On LLMKIT_OK, *out_json is the RunResult (kind "run_result": output, usage,
 * messages, ...); free it with llmkit_free. On failure *out_json is NULL. */
llmkit_status llmkit_run(llmkit_client *client, const char *request_json, char **out_json);

/* An event callback: one event as JSON (kind = the event's topic, such as
 * "model.text_delta", "tool.call", "run.end"). Return 0 to go on, nonzero to
 * stop the run: no more events come, and llmkit_stream returns
 * LLMKIT_ERR_CANCELLED (even when the run had reached its end meanwhile; its
 * session then holds the turn, as after any finished run). */
typedef int (*llmkit_event_fn)(const char *event_json, void *userdata);

/* Runs like llmkit_run, calling fn for each event of the run, in order, on
 * the calling thread; the last one is "run.end" (with the RunResult) when
 * the run succeeds. Returns when the run is over. */
llmkit_status llmkit_stream(llmkit_client *client, const char *request_json, llmkit_event_fn fn,
                            void *userdata);

/* Cancels the calls running on the client at this moment, from any thread;
 * they return LLMKIT_ERR_CANCELLED. Nothing running: LLMKIT_OK, no effect. */
llmkit_status llmkit_cancel(llmkit_client *client);

/* The message of the last failed call: on the client (valid until the client
 * is freed or 16 more calls fail on it), or, with NULL, on the calling thread
 * (valid until that thread's next failed call). "" when nothing failed. For a
 * freed or unknown client, a message saying so. Never NULL; never free it. */
const char *llmkit_last_error(const llmkit_client *client);

/* Frees a string llmkit handed out. NULL does nothing. */
void llmkit_free(void *p);

/* JSON utilities: read one value out of JSON text (a payload of llmkit's, or
 * any), so a C program needs no JSON parser. pointer is a JSON Pointer
 * (RFC 6901): "" for the whole text, "/data/output", "/data/messages/0/role"
 * ("~1" stands for '/' in a key, "~0" for '~'). A pointer that names no value
 * gives LLMKIT_ERR_NOT_FOUND; one not of that form LLMKIT_ERR_ARGUMENT. The
 * message is the thread's (llmkit_last_error(NULL)).
 *
 * llmkit_json_get: *out_json = the value as JSON text ("\"hi\"", "144", "{...}").
 * llmkit_json_text: *out_text = a string value as plain UTF-8 text ("hi"); any
 * other value as JSON text. A string holding U+0000 gives LLMKIT_ERR_UTF8 (read
 * it with llmkit_json_get). Free either with llmkit_free; NULL on failure. */
llmkit_status llmkit_json_get(const char *json, const char *pointer, char **out_json);
llmkit_status llmkit_json_text(const char *json, const char *pointer, char **out_text);

/* llmkit-api-end */

#ifdef __cplusplus
}
#endif

#endif /* LLMKIT_H */

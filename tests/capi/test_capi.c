/* The C side of tests/capi/test_c_api.py: one subcommand per behaviour of llmkit.h.
 *
 *   test_capi SUBCOMMAND BASE_URL      (BASE_URL: the fake provider server's OpenAI base URL)
 *
 * Each subcommand prints "ok SUBCOMMAND" when every check passed, else "FAIL ..." and exits 1.
 * Tools that must be "slow" block on a semaphore until the test releases them, so no outcome
 * depends on the machine's speed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llmkit.h"

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            printf("FAIL line %d: %s\n  thread error: %s\n", __LINE__, #cond,                \
                   llmkit_last_error(NULL));                                                 \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#define CHECK_STATUS(call, expected)                                                         \
    do {                                                                                     \
        llmkit_status got_ = (call);                                                         \
        if (got_ != (expected)) {                                                            \
            printf("FAIL line %d: %s gave %d, not %d\n  thread error: %s\n", __LINE__, #call, \
                   (int)got_, (int)(expected), llmkit_last_error(NULL));                     \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#define CONTAINS(text, part) CHECK((text) != NULL && strstr((text), (part)) != NULL)

static const char *base_url = "";

static const char *SQUARE_SCHEMA =
    "{\"type\":\"object\",\"description\":\"The square of x.\","
    "\"properties\":{\"x\":{\"type\":\"number\"}},\"required\":[\"x\"]}";
static const char *EMPTY_SCHEMA = "{\"type\":\"object\",\"properties\":{}}";

static llmkit_client *new_client(const char *extra) {
    char options[1024];
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-test\"%s}",
             base_url, extra ? extra : "");
    llmkit_client *client = llmkit_client_new(options);
    CHECK(client != NULL);
    return client;
}

/* ------------------------------------------------------------------------- tools */

static int square_calls = 0;

static char *square(const char *args_json, void *userdata) {
    CHECK(userdata == (void *)&square_calls);
    CONTAINS(args_json, "\"x\"");
    __atomic_add_fetch(&square_calls, 1, __ATOMIC_SEQ_CST);
    return strdup("144");
}

static char *returns_null(const char *args_json, void *userdata) {
    (void)args_json, (void)userdata;
    return NULL;
}

static char *returns_text(const char *args_json, void *userdata) {
    (void)args_json;
    return strdup((const char *)userdata);
}

typedef struct {
    sem_t entered;  /* posted by the tool when it starts */
    sem_t release;  /* posted by the test to let it return */
} blocker;

static void blocker_init(blocker *b) {
    sem_init(&b->entered, 0, 0);
    sem_init(&b->release, 0, 0);
}

static char *blocking(const char *args_json, void *userdata) {
    blocker *b = userdata;
    (void)args_json;
    sem_post(&b->entered);
    sem_wait(&b->release);
    return strdup("\"done\"");
}

/* A run on its own thread: its status and the thread's last error. */
typedef struct {
    llmkit_client *client;
    const char *request;
    llmkit_status status;
    char error[1024];
} background_run;

static void *run_in_background(void *arg) {
    background_run *run = arg;
    char *out = NULL;
    run->status = llmkit_run(run->client, run->request, &out);
    snprintf(run->error, sizeof run->error, "%s", llmkit_last_error(NULL));
    llmkit_free(out);
    return NULL;
}

/* ------------------------------------------------------------------ subcommands */

static void test_agent(void) {
    CONTAINS(llmkit_version(), ".");
    CHECK(llmkit_abi_version() == LLMKIT_ABI_VERSION);
    CHECK_STATUS(llmkit_init(NULL), LLMKIT_OK);
    llmkit_client *client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls),
                 LLMKIT_OK);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"What is 12 squared?\", \"tools\": [\"square\"]}", &out),
                 LLMKIT_OK);
    CHECK(square_calls == 1);
    CONTAINS(out, "{\"llmkit\":1,\"kind\":\"run_result\"");
    CONTAINS(out, "\"output\":\"The tool returned: 144\"");
    CONTAINS(out, "\"name\":\"square\"");
    CHECK(strcmp(llmkit_last_error(client), "") == 0);
    llmkit_free(out);
    llmkit_client_free(client);
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
}

typedef struct {
    int count;
    char first[64];
    char last[64];
    int text_deltas;
    int stop_after;   /* 0: never stop */
    pthread_t caller;
    int other_thread; /* events seen on another thread than the caller */
    llmkit_status shutdown_status;
    int try_shutdown;
    int tracebacks;   /* events holding a Python traceback */
} event_log;

static void kind_of(const char *event_json, char *kind, size_t size) {
    const char *start = strstr(event_json, "\"kind\":\"");
    CHECK(start != NULL);
    start += strlen("\"kind\":\"");
    size_t n = strcspn(start, "\"");
    snprintf(kind, size, "%.*s", (int)n, start);
}

static int on_event(const char *event_json, void *userdata) {
    event_log *log = userdata;
    CHECK(strncmp(event_json, "{\"llmkit\":1,", 12) == 0);
    if (!pthread_equal(pthread_self(), log->caller)) log->other_thread++;
    char kind[64];
    kind_of(event_json, kind, sizeof kind);
    if (log->count == 0) snprintf(log->first, sizeof log->first, "%s", kind);
    snprintf(log->last, sizeof log->last, "%s", kind);
    if (strcmp(kind, "model.text_delta") == 0) log->text_deltas++;
    if (strstr(event_json, "Traceback") || strstr(event_json, "traceback")) log->tracebacks++;
    log->count++;
    if (log->try_shutdown) {
        log->shutdown_status = llmkit_shutdown();
        log->try_shutdown = 0;
    }
    return log->stop_after && log->count >= log->stop_after;
}

static void test_stream(void) {
    llmkit_client *client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls),
                 LLMKIT_OK);
    event_log log = {.caller = pthread_self()};
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"First question\", \"session\": \"user-42\"}",
                               on_event, &log),
                 LLMKIT_OK);
    CHECK(strcmp(log.first, "run.start") == 0);
    CHECK(strcmp(log.last, "run.end") == 0);
    CHECK(log.text_deltas > 0);
    CHECK(log.other_thread == 0);
    CHECK(square_calls == 1);
    /* The session keeps the conversation: the next run of it starts from the first one. */
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"Second question\", \"session\": \"user-42\", \"tools\": []}",
                            &out),
                 LLMKIT_OK);
    CONTAINS(out, "First question");
    CONTAINS(out, "Second question");
    llmkit_free(out);
    /* Another session of the same client, and the same id on another client, start empty. */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"Hi\", \"session\": \"user-7\", \"tools\": []}", &out),
                 LLMKIT_OK);
    CHECK(strstr(out, "First question") == NULL);
    llmkit_free(out);
    llmkit_client *other = new_client(NULL);
    CHECK_STATUS(llmkit_run(other, "{\"input\": \"Hi\", \"session\": \"user-42\"}", &out), LLMKIT_OK);
    CHECK(strstr(out, "First question") == NULL);
    llmkit_free(out);
    /* An event callback that returns nonzero stops the run. */
    event_log stopping = {.caller = pthread_self(), .stop_after = 2};
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"Tell a story\"}", on_event, &stopping),
                 LLMKIT_ERR_CANCELLED);
    CHECK(stopping.count == 2);
    CONTAINS(llmkit_last_error(client), "event callback returned nonzero");
    llmkit_client_free(other);
    llmkit_client_free(client);
}

static void test_arguments(void) {
    llmkit_client *client = new_client(NULL);
    char *out = (char *)"untouched";
    /* NULL pointers */
    CHECK_STATUS(llmkit_run(NULL, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_ARGUMENT);
    CHECK(out == NULL);
    CONTAINS(llmkit_last_error(NULL), "client is NULL");
    CHECK_STATUS(llmkit_run(client, NULL, &out), LLMKIT_ERR_ARGUMENT);
    CONTAINS(llmkit_last_error(client), "request_json is NULL");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\"}", NULL), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"hi\"}", NULL, NULL), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_tool_register(client, "t", EMPTY_SCHEMA, NULL, NULL), LLMKIT_ERR_ARGUMENT);
    CHECK(llmkit_client_new(NULL) == NULL);
    CONTAINS(llmkit_last_error(NULL), "options_json is NULL");
    /* JSON of the wrong shape */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"temprature\": 1}", &out), LLMKIT_ERR_ARGUMENT);
    CONTAINS(llmkit_last_error(client), "'temprature'");
    CHECK_STATUS(llmkit_run(client, "{\"input\": 42}", &out), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_run(client, "[1, 2]", &out), LLMKIT_ERR_ARGUMENT);
    CONTAINS(llmkit_last_error(client), "is a JSON object ({...}), not an array");
    CHECK(llmkit_client_new("{\"base_url\": \"http://127.0.0.1:1\"}") == NULL);
    CONTAINS(llmkit_last_error(NULL), "\"model\"");
    CHECK_STATUS(llmkit_tool_register(client, "has space", EMPTY_SCHEMA, square, NULL),
                 LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_init("{\"threads\": 2}"), LLMKIT_ERR_ARGUMENT);
    /* not JSON, not UTF-8 */
    CHECK_STATUS(llmkit_run(client, "{\"input\": ", &out), LLMKIT_ERR_JSON);
    CONTAINS(llmkit_last_error(client), "not JSON");
    CHECK(llmkit_client_new("{model: openai/x}") == NULL);
    CONTAINS(llmkit_last_error(NULL), "not JSON");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"\xff\xfe\"}", &out), LLMKIT_ERR_UTF8);
    CONTAINS(llmkit_last_error(client), "not UTF-8");
    CHECK_STATUS(llmkit_tool_register(client, "caf\xe9", EMPTY_SCHEMA, square, NULL), LLMKIT_ERR_UTF8);
    /* unknown ids */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"nope\"]}", &out),
                 LLMKIT_ERR_NOT_FOUND);
    CONTAINS(llmkit_last_error(client), "no tool 'nope'");
    CHECK(llmkit_client_new("{\"model\": \"nope/model\"}") == NULL);
    CONTAINS(llmkit_last_error(NULL), "no provider 'nope'");
    /* state */
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls),
                 LLMKIT_ERR_STATE);
    CHECK_STATUS(llmkit_init("{\"tool_threads\": 3}"), LLMKIT_ERR_STATE);
    /* The failures lost nothing: the client still runs. */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"What is 12 squared?\"}", &out), LLMKIT_OK);
    CONTAINS(out, "144");
    llmkit_free(out);
    /* llmkit_free of a pointer it did not hand out, or twice, frees nothing and says so. */
    char mine[] = "mine";
    llmkit_free(mine);
    CONTAINS(llmkit_last_error(NULL), "not a string llmkit handed out");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_free(out);
    CONTAINS(llmkit_last_error(NULL), "freed already");
    llmkit_free(NULL);
    llmkit_client_free(NULL);
    llmkit_client_free(client);
}

static void test_handles(void) {
    llmkit_client *first = new_client(NULL);
    llmkit_client_free(first);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(first, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_HANDLE);
    CONTAINS(llmkit_last_error(NULL), "not a live llmkit client");
    CONTAINS(llmkit_last_error(first), "not a live llmkit client");
    /* A new client may take the freed one's slot: the old handle stays dead. */
    llmkit_client *second = new_client(NULL);
    CHECK_STATUS(llmkit_run(first, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_HANDLE);
    CHECK_STATUS(llmkit_run(second, "{\"input\": \"hi\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    /* Freed twice, and a pointer that never was a handle. */
    llmkit_client_free(first);
    CONTAINS(llmkit_last_error(NULL), "nothing was freed");
    int not_a_client = 7;
    CHECK_STATUS(llmkit_run((llmkit_client *)&not_a_client, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_HANDLE);
    CHECK_STATUS(llmkit_cancel((llmkit_client *)&not_a_client), LLMKIT_ERR_HANDLE);
    llmkit_client_free((llmkit_client *)&not_a_client);
    CONTAINS(llmkit_last_error(NULL), "nothing was freed");
    /* After a shutdown every handle is dead, and llmkit starts again on the next call. */
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
    CHECK_STATUS(llmkit_run(second, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_HANDLE);
    llmkit_client *third = new_client(NULL);
    CHECK_STATUS(llmkit_run(third, "{\"input\": \"hi\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(third);
}

static void test_tools(void) {
    llmkit_client *client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(client, "null_tool", EMPTY_SCHEMA, returns_null, NULL), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "prose", EMPTY_SCHEMA, returns_text, "sunny, 21 C"), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "latin1", EMPTY_SCHEMA, returns_text, "\"caf\xe9\""), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "text", EMPTY_SCHEMA, returns_text, "\"sunny\""), LLMKIT_OK);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"null_tool\"]}", &out), LLMKIT_ERR_TOOL);
    CONTAINS(llmkit_last_error(client), "returned NULL");
    CHECK(out == NULL);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"prose\"]}", &out), LLMKIT_ERR_TOOL);
    CONTAINS(llmkit_last_error(client), "not JSON");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"latin1\"]}", &out), LLMKIT_ERR_TOOL);
    CONTAINS(llmkit_last_error(client), "not UTF-8");
    /* A stream that fails gives its events up to the failure, then the status. */
    event_log log = {.caller = pthread_self()};
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"hi\", \"tools\": [\"null_tool\"]}", on_event, &log),
                 LLMKIT_ERR_TOOL);
    CHECK(strcmp(log.first, "run.start") == 0);
    CHECK(log.count > 1);
    CHECK(strcmp(log.last, "run.end") != 0);
    CHECK(log.tracebacks == 0);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"text\"]}", &out), LLMKIT_OK);
    CONTAINS(out, "The tool returned: sunny");
    llmkit_free(out);
    /* A provider that cannot be reached fails the run. */
    llmkit_client *offline = llmkit_client_new(
        "{\"model\": \"openai/m\", \"base_url\": \"http://127.0.0.1:1/v1\", \"api_key\": \"sk-secret-1\","
        " \"max_retries\": 0}");
    CHECK(offline != NULL);
    CHECK_STATUS(llmkit_run(offline, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_RUN);
    CHECK(strstr(llmkit_last_error(offline), "sk-secret-1") == NULL);
    llmkit_client_free(offline);
    llmkit_client_free(client);
}

static void test_slow(void) {
    /* A tool callback that outlasts tool_timeout fails the run with LLMKIT_ERR_TIMEOUT. */
    blocker slow;
    blocker_init(&slow);
    llmkit_client *client = new_client(", \"tool_timeout\": 0.2");
    CHECK_STATUS(llmkit_tool_register(client, "slow", EMPTY_SCHEMA, blocking, &slow), LLMKIT_OK);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_TIMEOUT);
    CONTAINS(llmkit_last_error(client), "tool_timeout");
    sem_post(&slow.release);
    llmkit_client_free(client);
}

static void run_blocked(llmkit_client *client, blocker *b, background_run *run, pthread_t *thread) {
    CHECK_STATUS(llmkit_tool_register(client, "block", EMPTY_SCHEMA, blocking, b), LLMKIT_OK);
    run->client = client;
    run->request = "{\"input\": \"hi\", \"tools\": [\"block\"]}";
    CHECK(pthread_create(thread, NULL, run_in_background, run) == 0);
    sem_wait(&b->entered); /* the run is inside the tool now */
}

static void test_cancel(void) {
    blocker b;
    blocker_init(&b);
    llmkit_client *client = new_client(NULL);
    background_run run = {0};
    pthread_t thread;
    run_blocked(client, &b, &run, &thread);
    CHECK_STATUS(llmkit_cancel(client), LLMKIT_OK);
    pthread_join(thread, NULL);
    CHECK(run.status == LLMKIT_ERR_CANCELLED);
    CONTAINS(run.error, "cancelled");
    sem_post(&b.release);
    /* Nothing running: no effect. The client goes on. */
    CHECK_STATUS(llmkit_cancel(client), LLMKIT_OK);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(client);
}

static void test_freed_while_running(void) {
    blocker b;
    blocker_init(&b);
    llmkit_client *client = new_client(NULL);
    background_run run = {0};
    pthread_t thread;
    run_blocked(client, &b, &run, &thread);
    llmkit_client_free(client);
    pthread_join(thread, NULL);
    CHECK(run.status == LLMKIT_ERR_STATE);
    CONTAINS(run.error, "the client was freed while this call ran");
    sem_post(&b.release);
    /* llmkit_shutdown inside a callback is refused; outside, it stops a running call. */
    client = new_client(NULL);
    event_log log = {.caller = pthread_self(), .try_shutdown = 1};
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"hi\"}", on_event, &log), LLMKIT_OK);
    CHECK(log.shutdown_status == LLMKIT_ERR_STATE);
    blocker b2;
    blocker_init(&b2);
    background_run run2 = {0};
    run_blocked(client, &b2, &run2, &thread);
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
    pthread_join(thread, NULL);
    CHECK(run2.status == LLMKIT_ERR_STATE);
    CONTAINS(run2.error, "llmkit_shutdown");
    sem_post(&b2.release);
}

enum { THREADS = 8, RUNS_PER_THREAD = 4 };

typedef struct {
    llmkit_client *shared;
    int index;
    int failures;
    char error[512];
} worker;

static void *work(void *arg) {
    worker *w = arg;
    llmkit_client *own = NULL;
    llmkit_client *client = w->shared;
    if (w->index % 2) client = own = new_client(NULL);
    if (own) CHECK_STATUS(llmkit_tool_register(own, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    for (int i = 0; i < RUNS_PER_THREAD; i++) {
        llmkit_status status;
        if (i % 2) {
            event_log log = {.caller = pthread_self()};
            status = llmkit_stream(client, "{\"input\": \"What is 12 squared?\"}", on_event, &log);
            if (status == LLMKIT_OK && (strcmp(log.last, "run.end") != 0 || log.other_thread)) w->failures++;
        } else {
            char *out = NULL;
            status = llmkit_run(client, "{\"input\": \"What is 12 squared?\"}", &out);
            if (status == LLMKIT_OK && strstr(out, "144") == NULL) w->failures++;
            llmkit_free(out);
        }
        if (status != LLMKIT_OK) {
            w->failures++;
            snprintf(w->error, sizeof w->error, "%s", llmkit_last_error(NULL));
        }
    }
    if (own) llmkit_client_free(own);
    return NULL;
}

static void test_threads(void) {
    llmkit_client *shared = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(shared, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.shared = shared, .index = i};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (workers[i].failures) printf("thread %d: %s\n", i, workers[i].error);
        CHECK(workers[i].failures == 0);
    }
    CHECK(square_calls == THREADS * RUNS_PER_THREAD);
    llmkit_client_free(shared);
}

/* The client's sessions in a SQLite file: the test reads them back with llmkit.durable. */
static void test_store(void) {
    const char *path = getenv("LLMKIT_TEST_STORE");
    CHECK(path != NULL);
    char extra[600];
    snprintf(extra, sizeof extra, ", \"store\": \"%s\"", path);
    llmkit_client *client = new_client(extra);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"Remember me\", \"session\": \"user-42\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(client);
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
}

static void expect_json(const char *json, const char *pointer, const char *expected, int plain) {
    char *out = (char *)"untouched";
    llmkit_status status = plain ? llmkit_json_text(json, pointer, &out) : llmkit_json_get(json, pointer, &out);
    if (status != LLMKIT_OK || strcmp(out, expected) != 0) {
        printf("FAIL: %s at %s gave %d, %s; expected %s\n", json, pointer, (int)status,
               status == LLMKIT_OK ? out : llmkit_last_error(NULL), expected);
        exit(1);
    }
    llmkit_free(out);
}

static void test_json(void) {
    const char *doc = "{\"a\": [1, {\"b/c\": 2, \"m~n\": \"caf\xc3\xa9\"}], \"s\": \"say \\\"hi\\\"\", \"n\": null}";
    expect_json(doc, "/a/0", "1", 0);
    expect_json(doc, "/a/1/b~1c", "2", 1);
    expect_json(doc, "/a/1/m~0n", "\"caf\xc3\xa9\"", 0);
    expect_json(doc, "/a/1/m~0n", "caf\xc3\xa9", 1);
    expect_json(doc, "/s", "say \"hi\"", 1);
    expect_json(doc, "/n", "null", 1);
    expect_json("[1,2]", "", "[1,2]", 0);
    char *out = (char *)"untouched";
    CHECK_STATUS(llmkit_json_get(doc, "/a/2", &out), LLMKIT_ERR_NOT_FOUND);
    CHECK(out == NULL);
    CONTAINS(llmkit_last_error(NULL), "no value at '/a/2'");
    CHECK_STATUS(llmkit_json_get(doc, "/a/01", &out), LLMKIT_ERR_NOT_FOUND);
    CHECK_STATUS(llmkit_json_get(doc, "/x/y", &out), LLMKIT_ERR_NOT_FOUND);
    CONTAINS(llmkit_last_error(NULL), "no value at '/x'");
    CHECK_STATUS(llmkit_json_get(doc, "a", &out), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_json_get(NULL, "/a", &out), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_json_get(doc, NULL, &out), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_json_get(doc, "/a", NULL), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_json_get("{\"a\": ", "/a", &out), LLMKIT_ERR_JSON);
    CHECK_STATUS(llmkit_json_text("\"\xff\"", "", &out), LLMKIT_ERR_UTF8);
    /* On a run's result: its output as text, and a message's role. */
    llmkit_client *client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    char *result = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"What is 12 squared?\"}", &result), LLMKIT_OK);
    expect_json(result, "/data/output", "The tool returned: 144", 1);
    expect_json(result, "/data/messages/0/role", "\"user\"", 0);
    expect_json(result, "/kind", "run_result", 1);
    llmkit_free(result);
    llmkit_client_free(client);
}

/* ------------------------------------------------------- strict text, clear messages */

static void test_strict(void) {
    llmkit_client *client = new_client(NULL);
    char *out = (char *)"untouched";
    /* A lone surrogate is valid JSON, but no UTF-8 text; a surrogate pair is a character. */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"\\ud800\"}", &out), LLMKIT_ERR_UTF8);
    CHECK(out == NULL);
    CONTAINS(llmkit_last_error(client), "lone surrogate (\\ud800)");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"session\": \"\\udc00\"}", &out), LLMKIT_ERR_UTF8);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"\\ud83d\\ude00\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    /* NaN, infinities and numbers too large for a double are not JSON. */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"timeout\": NaN}", &out), LLMKIT_ERR_JSON);
    CONTAINS(llmkit_last_error(client), "NaN is not a JSON number");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"timeout\": 1e400}", &out), LLMKIT_ERR_JSON);
    CONTAINS(llmkit_last_error(client), "too large for a double");
    CHECK_STATUS(llmkit_json_get("{\"x\": NaN}", "/x", &out), LLMKIT_ERR_JSON);
    CHECK_STATUS(llmkit_json_get("[Infinity]", "/0", &out), LLMKIT_ERR_JSON);
    CHECK_STATUS(llmkit_json_text("[-Infinity]", "", &out), LLMKIT_ERR_JSON);
    CHECK_STATUS(llmkit_json_get("[-1e400]", "", &out), LLMKIT_ERR_JSON);
    /* A tool answering either fails the run: nothing of it reaches the model. */
    CHECK_STATUS(llmkit_tool_register(client, "nan", EMPTY_SCHEMA, returns_text, "NaN"), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "huge", EMPTY_SCHEMA, returns_text, "[1e999]"), LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(client, "half", EMPTY_SCHEMA, returns_text, "\"\\udc00\""), LLMKIT_OK);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"nan\"]}", &out), LLMKIT_ERR_TOOL);
    CONTAINS(llmkit_last_error(client), "tool 'nan' returned text that is not JSON");
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"huge\"]}", &out), LLMKIT_ERR_TOOL);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"half\"]}", &out), LLMKIT_ERR_TOOL);
    CONTAINS(llmkit_last_error(client), "lone surrogate");
    /* The JSON utilities hand out UTF-8 only, and no C string cut short by U+0000. */
    CHECK_STATUS(llmkit_json_get("[\"\\ud800\"]", "/0", &out), LLMKIT_ERR_UTF8);
    CHECK_STATUS(llmkit_json_text("[\"\\ud800\"]", "/0", &out), LLMKIT_ERR_UTF8);
    CONTAINS(llmkit_last_error(NULL), "lone surrogate");
    expect_json("[\"\\ud800\", 1]", "/1", "1", 0);
    CHECK_STATUS(llmkit_json_text("[\"a\\u0000b\"]", "/0", &out), LLMKIT_ERR_UTF8);
    CHECK(out == NULL);
    CONTAINS(llmkit_last_error(NULL), "U+0000");
    expect_json("[\"a\\u0000b\"]", "/0", "\"a\\u0000b\"", 0);
    /* Too deep: the message names the nesting limit. */
    char deep[1203];
    memset(deep, '[', 600);
    memset(deep + 600, ']', 600);
    deep[1200] = '\0';
    CHECK_STATUS(llmkit_json_get(deep, "", &out), LLMKIT_ERR_JSON);
    CONTAINS(llmkit_last_error(NULL), "nesting limit");
    /* No final answer within max_steps: the advice is for a C caller. */
    CHECK_STATUS(llmkit_tool_register(client, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": [\"square\"], \"max_steps\": 1}", &out),
                 LLMKIT_ERR_RUN);
    CONTAINS(llmkit_last_error(client), "raise \"max_steps\"");
    CHECK(strstr(llmkit_last_error(client), "message_history") == NULL);
    /* A store in a folder that does not exist is refused when the client is made. */
    char extra[256];
    snprintf(extra, sizeof extra, ", \"store\": \"/nonexistent-llmkit-folder/sessions.db\"");
    char options[1024];
    snprintf(options, sizeof options, "{\"model\": \"openai/m\", \"base_url\": \"%s\"%s}", base_url, extra);
    CHECK(llmkit_client_new(options) == NULL);
    CONTAINS(llmkit_last_error(NULL), "folder that does not exist");
    /* The failures lost nothing: the client still runs. */
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"hi\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(client);
}

/* ------------------------------------------------------------ callbacks that nest */

static llmkit_client *nesting_client;

static int quiet(const char *event_json, void *userdata) {
    (void)event_json, (void)userdata;
    return 0;
}

static char *nested_run(const char *args_json, void *userdata) {
    (void)args_json, (void)userdata;
    /* A tool's call on its own client, whose tool callback must pass the gate this one holds. */
    char *out = NULL;
    llmkit_status status =
        llmkit_run(nesting_client, "{\"input\": \"What is 12 squared?\", \"tools\": [\"square\"]}", &out);
    char *answer = strdup(status == LLMKIT_OK && strstr(out, "144") ? "\"inner ok\"" : "\"inner failed\"");
    llmkit_free(out);
    return answer;
}

static int nesting_outer(const char *event_json, void *userdata) {
    (void)event_json;
    int *shutdown_status = userdata;
    if (*shutdown_status == -1) {
        /* A call inside a callback, whose own callbacks end before this one. */
        CHECK_STATUS(llmkit_stream(nesting_client, "{\"input\": \"inner\", \"tools\": []}", quiet, NULL),
                     LLMKIT_OK);
        *shutdown_status = (int)llmkit_shutdown();
    }
    return 0;
}

static void test_nested(void) {
    nesting_client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(nesting_client, "square", SQUARE_SCHEMA, square, &square_calls),
                 LLMKIT_OK);
    CHECK_STATUS(llmkit_tool_register(nesting_client, "nested", EMPTY_SCHEMA, nested_run, NULL), LLMKIT_OK);
    int shutdown_status = -1;
    CHECK_STATUS(llmkit_stream(nesting_client, "{\"input\": \"hi\", \"tools\": []}", nesting_outer,
                               &shutdown_status),
                 LLMKIT_OK);
    CHECK(shutdown_status == LLMKIT_ERR_STATE);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(nesting_client, "{\"input\": \"hi\", \"tools\": [\"nested\"]}", &out), LLMKIT_OK);
    CONTAINS(out, "inner ok");
    llmkit_free(out);
    llmkit_client_free(nesting_client);
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
}

/* ------------------------------------------------------ one callback at a time */

typedef struct {
    sem_t entered;    /* posted by the tool when it starts */
    sem_t event_seen; /* posted by every event callback */
    volatile int inside;
    volatile int overlaps;
} serial_state;

static char *holding(const char *args_json, void *userdata) {
    serial_state *s = userdata;
    (void)args_json;
    s->inside = 1;
    sem_post(&s->entered);
    /* Give an event callback of the same client the chance to run now: it must not. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    if (sem_timedwait(&s->event_seen, &until) == 0) s->overlaps++;
    s->inside = 0;
    return strdup("1");
}

static int seen(const char *event_json, void *userdata) {
    serial_state *s = userdata;
    (void)event_json;
    if (s->inside) s->overlaps++;
    sem_post(&s->event_seen);
    return 0;
}

static void test_serial(void) {
    serial_state s = {.inside = 0, .overlaps = 0};
    sem_init(&s.entered, 0, 0);
    sem_init(&s.event_seen, 0, 0);
    llmkit_client *client = new_client(NULL);
    CHECK_STATUS(llmkit_tool_register(client, "holding", EMPTY_SCHEMA, holding, &s), LLMKIT_OK);
    background_run run = {.client = client, .request = "{\"input\": \"hi\", \"tools\": [\"holding\"]}"};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, run_in_background, &run) == 0);
    sem_wait(&s.entered);
    CHECK_STATUS(llmkit_stream(client, "{\"input\": \"hi\", \"tools\": []}", seen, &s), LLMKIT_OK);
    pthread_join(thread, NULL);
    CHECK(run.status == LLMKIT_OK);
    CHECK(s.overlaps == 0);
    /* Another client's callbacks do not wait for this one's. */
    llmkit_client *other = new_client(NULL);
    s.inside = 0;
    CHECK(pthread_create(&thread, NULL, run_in_background, &run) == 0);
    sem_wait(&s.entered);
    CHECK_STATUS(llmkit_stream(other, "{\"input\": \"hi\", \"tools\": []}", seen, &s), LLMKIT_OK);
    pthread_join(thread, NULL);
    CHECK(s.overlaps > 0);
    llmkit_client_free(other);
    llmkit_client_free(client);
}

/* ------------------------------------------------------------------------ fork */

static void expect_child(pid_t pid) {
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_fork(void) {
    llmkit_client *client = new_client(NULL);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"parent\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(60); /* a call that hangs fails the test, not the suite */
        CHECK_STATUS(llmkit_run(client, "{\"input\": \"child\"}", &out), LLMKIT_ERR_STATE);
        CHECK(out == NULL);
        CONTAINS(llmkit_last_error(client), "call llmkit_shutdown before fork");
        CONTAINS(llmkit_last_error(NULL), "forked");
        CHECK(llmkit_client_new("{\"model\": \"openai/m\"}") == NULL);
        CHECK_STATUS(llmkit_json_get("[1]", "/0", &out), LLMKIT_ERR_STATE);
        CHECK_STATUS(llmkit_init(NULL), LLMKIT_ERR_STATE);
        CHECK_STATUS(llmkit_shutdown(), LLMKIT_ERR_STATE);
        llmkit_client_free(client);
        fflush(stdout);
        _exit(0);
    }
    expect_child(pid);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"parent again\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    /* Shut down before fork: the child starts llmkit again, and so does the parent. */
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
    fflush(stdout);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(60);
        llmkit_client *mine = new_client(NULL);
        CHECK_STATUS(llmkit_run(mine, "{\"input\": \"child\"}", &out), LLMKIT_OK);
        CONTAINS(out, "\"kind\":\"run_result\"");
        llmkit_free(out);
        llmkit_client_free(mine);
        CHECK_STATUS(llmkit_shutdown(), LLMKIT_OK);
        fflush(stdout);
        _exit(0);
    }
    expect_child(pid);
    client = new_client(NULL);
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"parent\"}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(client);
}

static void test_init_fails(void) {
    /* Run with LLMKIT_PYTHON_ENV naming a folder that is no environment. */
    CONTAINS(llmkit_version(), ".");
    CHECK(llmkit_abi_version() == LLMKIT_ABI_VERSION);
    CHECK_STATUS(llmkit_init(NULL), LLMKIT_ERR_INIT);
    CONTAINS(llmkit_last_error(NULL), "LLMKIT_PYTHON_ENV");
    printf("%s\n", llmkit_last_error(NULL));
    CHECK(llmkit_client_new("{\"model\": \"openai/m\"}") == NULL);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(NULL, "{}", &out), LLMKIT_ERR_INIT);
}

static void test_python_fails(void) {
    /* Run with a PYTHONHOME where no Python is: Python itself cannot start. */
    CONTAINS(llmkit_version(), ".");
    llmkit_free(NULL);
    llmkit_client_free(NULL);
    CHECK_STATUS(llmkit_init(NULL), LLMKIT_ERR_INIT);
    CONTAINS(llmkit_last_error(NULL), "could not start its Python");
    CHECK(llmkit_client_new("{\"model\": \"openai/m\"}") == NULL);
    char *out = (char *)"untouched";
    CHECK_STATUS(llmkit_run(NULL, "{}", &out), LLMKIT_ERR_INIT);
    CHECK(out == NULL);
    CHECK_STATUS(llmkit_shutdown(), LLMKIT_ERR_INIT);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SUBCOMMAND [BASE_URL]\n", argv[0]);
        return 2;
    }
    if (argc > 2) base_url = argv[2];
    static const struct {
        const char *name;
        void (*run)(void);
    } tests[] = {
        {"agent", test_agent},   {"stream", test_stream},   {"arguments", test_arguments},
        {"handles", test_handles}, {"tools", test_tools},   {"slow", test_slow},
        {"cancel", test_cancel}, {"freed", test_freed_while_running},
        {"threads", test_threads}, {"store", test_store}, {"init-fails", test_init_fails},
        {"python-fails", test_python_fails}, {"json", test_json}, {"strict", test_strict},
        {"nested", test_nested}, {"serial", test_serial}, {"fork", test_fork},
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (strcmp(argv[1], tests[i].name) == 0) {
            tests[i].run();
            printf("ok %s\n", argv[1]);
            return 0;
        }
    }
    fprintf(stderr, "unknown subcommand %s\n", argv[1]);
    return 2;
}

/* The C side of tests/capi/test_c_api.py: one subcommand per behaviour of llmkit.h.
 *
 *   test_capi SUBCOMMAND BASE_URL      (BASE_URL: the fake provider server's OpenAI base URL)
 *
 * Each subcommand prints "ok SUBCOMMAND" when every check passed, else "FAIL ..." and exits 1.
 * Tools that must be "slow" block on a semaphore until the test releases them, so no outcome
 * depends on the machine's speed. This file holds the subcommand table and the helpers of
 * capi_test.h; the subcommands are in capi_runs.c, capi_errors.c, capi_threads.c and
 * capi_process.c, compiled together with it. */
#include "capi_test.h"

const char *base_url = "";

const char *SQUARE_SCHEMA =
    "{\"type\":\"object\",\"description\":\"The square of x.\","
    "\"properties\":{\"x\":{\"type\":\"number\"}},\"required\":[\"x\"]}";
const char *EMPTY_SCHEMA = "{\"type\":\"object\",\"properties\":{}}";

llmkit_client *new_client(const char *extra) {
    char options[1024];
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-test\"%s}",
             base_url, extra ? extra : "");
    llmkit_client *client = llmkit_client_new(options);
    CHECK(client != NULL);
    return client;
}

/* ------------------------------------------------------------------------- tools */

int square_calls = 0;

char *square(const char *args_json, void *userdata) {
    CHECK(userdata == (void *)&square_calls);
    CONTAINS(args_json, "\"x\"");
    __atomic_add_fetch(&square_calls, 1, __ATOMIC_SEQ_CST);
    return strdup("144");
}

char *returns_null(const char *args_json, void *userdata) {
    (void)args_json, (void)userdata;
    return NULL;
}

char *returns_text(const char *args_json, void *userdata) {
    (void)args_json;
    return strdup((const char *)userdata);
}

void blocker_init(blocker *b) {
    sem_init(&b->entered, 0, 0);
    sem_init(&b->release, 0, 0);
}

char *blocking(const char *args_json, void *userdata) {
    blocker *b = userdata;
    (void)args_json;
    sem_post(&b->entered);
    sem_wait(&b->release);
    return strdup("\"done\"");
}

/* A run on its own thread: its status and the thread's last error. */

void *run_in_background(void *arg) {
    background_run *run = arg;
    char *out = NULL;
    run->status = llmkit_run(run->client, run->request, &out);
    snprintf(run->error, sizeof run->error, "%s", llmkit_last_error(NULL));
    llmkit_free(out);
    return NULL;
}
void run_blocked(llmkit_client *client, blocker *b, background_run *run, pthread_t *thread) {
    CHECK_STATUS(llmkit_tool_register(client, "block", EMPTY_SCHEMA, blocking, b), LLMKIT_OK);
    run->client = client;
    run->request = "{\"input\": \"hi\", \"tools\": [\"block\"]}";
    CHECK(pthread_create(thread, NULL, run_in_background, run) == 0);
    sem_wait(&b->entered); /* the run is inside the tool now */
}

static void kind_of(const char *event_json, char *kind, size_t size) {
    const char *start = strstr(event_json, "\"kind\":\"");
    CHECK(start != NULL);
    start += strlen("\"kind\":\"");
    size_t n = strcspn(start, "\"");
    snprintf(kind, size, "%.*s", (int)n, start);
}

int on_event(const char *event_json, void *userdata) {
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
void expect_json(const char *json, const char *pointer, const char *expected, int plain) {
    char *out = (char *)"untouched";
    llmkit_status status = plain ? llmkit_json_text(json, pointer, &out) : llmkit_json_get(json, pointer, &out);
    if (status != LLMKIT_OK || strcmp(out, expected) != 0) {
        printf("FAIL: %s at %s gave %d, %s; expected %s\n", json, pointer, (int)status,
               status == LLMKIT_OK ? out : llmkit_last_error(NULL), expected);
        exit(1);
    }
    llmkit_free(out);
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
        {"options", test_options}, {"wire", test_wire},
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


/* Threads: slow tools, cancellation, clients freed while running, 8 threads at once, callbacks
 * that nest and callbacks one at a time (test_capi.c runs them). */
#include "capi_test.h"

#include <time.h>

void test_slow(void) {
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

void test_cancel(void) {
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

void test_freed_while_running(void) {
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

void test_threads(void) {
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

void test_nested(void) {
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

void test_serial(void) {
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

/* What the C test program of llmkit.h shares across its files: checks, clients, tools, events.
 *
 * The program is test_capi.c (the subcommand table and these helpers) compiled together with
 * one file per topic: capi_runs.c, capi_errors.c, capi_threads.c, capi_process.c. */
#ifndef LLMKIT_CAPI_TEST_H
#define LLMKIT_CAPI_TEST_H

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The fake provider server's OpenAI base URL (the program's second argument). */
extern const char *base_url;
extern const char *SQUARE_SCHEMA;
extern const char *EMPTY_SCHEMA;

/* A client of the fake server; extra is appended to its options (", \"key\": value"). */
llmkit_client *new_client(const char *extra);

/* Tools: square answers 144 (userdata: &square_calls); returns_null returns NULL; returns_text
 * returns a copy of the text its userdata points at. */
extern int square_calls;
char *square(const char *args_json, void *userdata);
char *returns_null(const char *args_json, void *userdata);
char *returns_text(const char *args_json, void *userdata);

typedef struct {
    sem_t entered;  /* posted by the tool when it starts */
    sem_t release;  /* posted by the test to let it return */
} blocker;

void blocker_init(blocker *b);
/* A tool that posts b->entered, then waits for b->release (userdata: a blocker). */
char *blocking(const char *args_json, void *userdata);

/* A run on its own thread: its status and the thread's last error. */
typedef struct {
    llmkit_client *client;
    const char *request;
    llmkit_status status;
    char error[1024];
} background_run;

void *run_in_background(void *arg);
/* Register "block" (blocking on b) on client and run it from a new thread, inside the tool. */
void run_blocked(llmkit_client *client, blocker *b, background_run *run, pthread_t *thread);

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

/* An event callback filling an event_log (userdata). */
int on_event(const char *event_json, void *userdata);

/* The value at pointer of json (plain: with llmkit_json_text) must be expected. */
void expect_json(const char *json, const char *pointer, const char *expected, int plain);

/* The subcommands, by file. */
void test_agent(void);
void test_stream(void);
void test_store(void);
void test_options(void);
void test_wire(void);
void test_arguments(void);
void test_handles(void);
void test_tools(void);
void test_json(void);
void test_strict(void);
void test_slow(void);
void test_cancel(void);
void test_freed_while_running(void);
void test_threads(void);
void test_nested(void);
void test_serial(void);
void test_fork(void);
void test_init_fails(void);
void test_python_fails(void);

#endif

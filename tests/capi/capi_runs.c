/* Runs, streams and sessions; the client's and the request's options (test_capi.c runs them). */
#include "capi_test.h"

void test_agent(void) {
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

void test_stream(void) {
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

/* The client's sessions in a SQLite file: the test reads them back with llmkit.durable. */
void test_store(void) {
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

/* ------------------------------------------------------ the client's and the run's options */

/* llmkit_client_new with these options added to a valid client's: must fail, saying `part`. */
static void refused_client(const char *extra, const char *part) {
    char options[1024];
    snprintf(options, sizeof options, "{\"model\": \"openai/m\", \"base_url\": \"%s\"%s}", base_url, extra);
    CHECK(llmkit_client_new(options) == NULL);
    CONTAINS(llmkit_last_error(NULL), part);
}

/* A run of the tool "block" on client, which must end with `expected`; the callback (when it
 * starts: the run may end first) stays blocked until the test releases it. */
static void run_blocking(llmkit_client *client, const char *request, llmkit_status expected) {
    char *out = (char *)"untouched";
    CHECK_STATUS(llmkit_run(client, request, &out), expected);
    CHECK(out == NULL);
}

/* Lets the blocked callbacks (at most `runs`) return on their worker threads; static, as they
 * may start after the test has returned (each client's callbacks wait for the one before). */
static blocker slow_tool;

static void release_blocked(int runs) {
    for (int i = 0; i < runs; i++) sem_post(&slow_tool.release);
}

void test_options(void) {
    /* run_timeout: a run outlasting it fails with LLMKIT_ERR_TIMEOUT (the tool never returns
     * in time: it waits for the release that comes after the run). */
    blocker_init(&slow_tool);
    llmkit_client *limited = new_client(", \"run_timeout\": 0.2");
    CHECK_STATUS(llmkit_tool_register(limited, "block", EMPTY_SCHEMA, blocking, &slow_tool), LLMKIT_OK);
    run_blocking(limited, "{\"input\": \"hi\", \"tools\": [\"block\"]}", LLMKIT_ERR_TIMEOUT);
    CONTAINS(llmkit_last_error(limited), "took longer than 0.2 s");
    /* null in a request is the client's own value. */
    run_blocking(limited, "{\"input\": \"hi\", \"tools\": [\"block\"], \"timeout\": null}", LLMKIT_ERR_TIMEOUT);
    llmkit_client_free(limited);
    /* max_steps: the client's, null in a request, a request's for that run only. */
    llmkit_client *counted = new_client(", \"max_steps\": 1");
    CHECK_STATUS(llmkit_tool_register(counted, "square", SQUARE_SCHEMA, square, &square_calls), LLMKIT_OK);
    char *out = NULL;
    CHECK_STATUS(llmkit_run(counted, "{\"input\": \"hi\", \"max_steps\": null}", &out), LLMKIT_ERR_RUN);
    CHECK_STATUS(llmkit_run(counted, "{\"input\": \"What is 12 squared?\", \"tools\": [\"square\"], "
                            "\"max_steps\": 3, \"timeout\": 600}", &out),
                 LLMKIT_OK);
    CONTAINS(out, "The tool returned: 144");
    llmkit_free(out);
    CHECK_STATUS(llmkit_run(counted, "{\"input\": \"hi\"}", &out), LLMKIT_ERR_RUN);
    CONTAINS(llmkit_last_error(counted), "no final answer after 1 model calls");
    /* A request's timeout replaces the client's run_timeout for that run. */
    llmkit_client *patient = new_client(", \"run_timeout\": 600");
    CHECK_STATUS(llmkit_tool_register(patient, "block", EMPTY_SCHEMA, blocking, &slow_tool), LLMKIT_OK);
    run_blocking(patient, "{\"input\": \"hi\", \"tools\": [\"block\"], \"timeout\": 0.2}",
                 LLMKIT_ERR_TIMEOUT);
    release_blocked(3);
    /* Values the agent refuses: LLMKIT_ERR_ARGUMENT, named as the JSON names them, no event. */
    CHECK_STATUS(llmkit_run(patient, "{\"input\": \"hi\", \"timeout\": -1}", &out), LLMKIT_ERR_ARGUMENT);
    CONTAINS(llmkit_last_error(patient), "\"timeout\" takes a positive number of seconds (or null), not -1");
    CHECK_STATUS(llmkit_run(patient, "{\"input\": \"hi\", \"timeout\": \"5\"}", &out), LLMKIT_ERR_ARGUMENT);
    CHECK_STATUS(llmkit_run(patient, "{\"input\": \"hi\", \"max_steps\": 0}", &out), LLMKIT_ERR_ARGUMENT);
    CONTAINS(llmkit_last_error(patient), "max_steps must be an integer of at least 1, got 0");
    CHECK_STATUS(llmkit_run(patient, "{\"input\": \"hi\", \"max_steps\": true}", &out), LLMKIT_ERR_ARGUMENT);
    event_log log = {.caller = pthread_self()};
    CHECK_STATUS(llmkit_stream(patient, "{\"input\": \"hi\", \"max_steps\": 1.5}", on_event, &log),
                 LLMKIT_ERR_ARGUMENT);
    CHECK(log.count == 0);
    refused_client(", \"run_timeout\": -1", "\"run_timeout\" takes a positive number of seconds");
    refused_client(", \"max_steps\": 0", "max_steps must be an integer of at least 1");
    refused_client(", \"settings\": {\"temprature\": 1}", "Unknown settings: temprature");
    refused_client(", \"settings\": 3", "\"settings\" takes a dict");
    /* The refusals lost nothing: the clients still run. */
    CHECK_STATUS(llmkit_run(patient, "{\"input\": \"hi\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(patient);
    llmkit_client_free(counted);
}

/* A client's model settings and extra headers reach the provider (test_c_api.py reads the
 * request the fake server received). */
void test_wire(void) {
    llmkit_client *client = new_client(
        ", \"settings\": {\"temperature\": 0.25, \"seed\": 7}, \"headers\": {\"X-Llmkit-Test\": \"from C\"}");
    char *out = NULL;
    CHECK_STATUS(llmkit_run(client, "{\"input\": \"wire check\", \"tools\": []}", &out), LLMKIT_OK);
    llmkit_free(out);
    llmkit_client_free(client);
}

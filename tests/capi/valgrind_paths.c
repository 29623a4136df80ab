/*
 * The paths of the C ABI that valgrind checks (tests/capi/test_valgrind.py): a run with a C
 * tool, a stream, every error status a caller can provoke without a slow provider, the
 * ownership rules (llmkit_free of each string handed out, a double free caught), and the
 * client freed. Every string it is handed it frees, so a definite leak found on the C side
 * is llmkit's.
 *
 *   valgrind_paths BASE_URL [leak]
 *
 * "leak" keeps one run's result without freeing it: the test proves the check sees it.
 * Prints one line per step; exits 0 when every step gave the status it expects.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmkit.h"

static int failures = 0;

static void expect(const char *step, llmkit_status got, llmkit_status want, const llmkit_client *c) {
    printf("%s: status %d%s%s\n", step, (int)got, got == want ? "" : " UNEXPECTED: ",
           got == want ? "" : llmkit_last_error(c));
    if (got != want) failures++;
}

static char *weather(const char *args_json, void *userdata) {
    int *calls = userdata;
    (*calls)++;
    return strdup(strstr(args_json, "Paris") ? "{\"sky\": \"sunny\"}" : "{\"sky\": \"grey\"}");
}

static char *broken(const char *args_json, void *userdata) {
    (void)args_json;
    (void)userdata;
    return NULL;
}

static char *not_json(const char *args_json, void *userdata) {
    (void)args_json;
    (void)userdata;
    return strdup("sunny, probably");
}

static int count_events(const char *event_json, void *userdata) {
    int *events = userdata;
    (*events)++;
    return strstr(event_json, "\"kind\"") ? 0 : 1;
}

static int stop_at_first(const char *event_json, void *userdata) {
    (void)event_json;
    (void)userdata;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [leak]\n", argv[0]);
        return 2;
    }
    int leak = argc > 2 && strcmp(argv[2], "leak") == 0;
    char options[512];
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-v\"}",
             argv[1]);
    llmkit_client *client = llmkit_client_new(options);
    if (client == NULL) {
        fprintf(stderr, "no client: %s\n", llmkit_last_error(NULL));
        return 1;
    }
    int calls = 0;
    const char *schema = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}";
    expect("register", llmkit_tool_register(client, "get_weather", schema, weather, &calls),
           LLMKIT_OK, client);
    expect("register broken", llmkit_tool_register(client, "broken", schema, broken, NULL),
           LLMKIT_OK, client);
    expect("register not_json", llmkit_tool_register(client, "not_json", schema, not_json, NULL),
           LLMKIT_OK, client);

    char *out = NULL;
    expect("run", llmkit_run(client, "{\"input\": \"Paris?\", \"tools\": [\"get_weather\"]}", &out),
           LLMKIT_OK, client);
    printf("run: tool called %d time(s), result %s\n", calls,
           out && strstr(out, "\"run_result\"") ? "is a run_result" : "MISSING");
    if (out == NULL || calls != 1) failures++;
    if (!leak) {
        llmkit_free(out);
        llmkit_free(out); /* a double free: caught, does nothing */
        printf("double free: caught (%s)\n", *llmkit_last_error(NULL) ? "message set" : "NO MESSAGE");
        if (!*llmkit_last_error(NULL)) failures++;
    }

    int events = 0;
    expect("stream", llmkit_stream(client, "{\"input\": \"Rome?\", \"tools\": [\"get_weather\"]}",
                                   count_events, &events),
           LLMKIT_OK, client);
    printf("stream: %d events\n", events);
    if (events < 3) failures++;

    out = NULL;
    expect("json", llmkit_run(client, "{not json", &out), LLMKIT_ERR_JSON, client);
    expect("utf8", llmkit_run(client, "{\"input\": \"\xff\xfe\"}", &out), LLMKIT_ERR_UTF8, client);
    expect("argument", llmkit_run(client, "{\"input\": 42}", &out), LLMKIT_ERR_ARGUMENT, client);
    expect("null request", llmkit_run(client, NULL, &out), LLMKIT_ERR_ARGUMENT, client);
    expect("not found", llmkit_run(client, "{\"input\": \"x\", \"tools\": [\"nope\"]}", &out),
           LLMKIT_ERR_NOT_FOUND, client);
    expect("tool NULL", llmkit_run(client, "{\"input\": \"x\", \"tools\": [\"broken\"]}", &out),
           LLMKIT_ERR_TOOL, client);
    expect("tool not JSON", llmkit_run(client, "{\"input\": \"x\", \"tools\": [\"not_json\"]}", &out),
           LLMKIT_ERR_TOOL, client);
    expect("taken name", llmkit_tool_register(client, "get_weather", schema, weather, &calls),
           LLMKIT_ERR_STATE, client);
    expect("cancelled by callback", llmkit_stream(client, "{\"input\": \"x\"}", stop_at_first, NULL),
           LLMKIT_ERR_CANCELLED, client);
    expect("cancel idle", llmkit_cancel(client), LLMKIT_OK, client);
    if (out != NULL) {
        printf("a failed run handed out a result\n");
        failures++;
    }

    llmkit_client_free(client);
    expect("freed handle", llmkit_run(client, "{\"input\": \"x\"}", &out), LLMKIT_ERR_HANDLE, NULL);
    llmkit_client_free(client); /* a double free of a handle: caught */
    expect("shutdown", llmkit_shutdown(), LLMKIT_OK, NULL);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

/* An llmkit agent run from C: a tool written in C, one run, then a streamed run in a session.
 *
 * Build the library and this program (from the repository's root):
 *
 *     make capi
 *     cc -Ibuild/capi examples/capi/agent.c -Lbuild/capi -lllmkit -Wl,-rpath,build/capi -o agent
 *
 * Run it on a real model (its key in OPENAI_API_KEY), or offline on the fake provider server:
 *
 *     python -m llmkit.testing serve        # prints: llmkit fake server listening on http://127.0.0.1:PORT
 *     LLMKIT_BASE_URL=http://127.0.0.1:PORT/v1 ./agent
 *
 * LLMKIT_MODEL picks another model ("provider/model"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmkit.h"

/* A tool: its arguments arrive as JSON; it answers with JSON text from malloc(). */
static char *square(const char *args_json, void *userdata) {
    (void)userdata;
    char *x = NULL;
    double value = llmkit_json_get(args_json, "/x", &x) == LLMKIT_OK ? strtod(x, NULL) : 0;
    llmkit_free(x);
    printf("[tool] square(%s)\n", args_json);
    char *answer = malloc(32);
    if (answer) snprintf(answer, 32, "%g", value * value);
    return answer;
}

/* Prints the text deltas of a streamed run as they come. llmkit_json_text reads one value out
 * of the event's JSON (a JSON Pointer), so no JSON parser is needed. */
static int on_event(const char *event_json, void *userdata) {
    int *events = userdata;
    (*events)++;
    char *kind = NULL, *text = NULL;
    if (llmkit_json_text(event_json, "/kind", &kind) == LLMKIT_OK && strcmp(kind, "model.text_delta") == 0 &&
        llmkit_json_text(event_json, "/data/text", &text) == LLMKIT_OK)
        printf("%s", text);
    llmkit_free(kind);
    llmkit_free(text);
    return 0; /* nonzero would stop the run */
}

int main(void) {
    const char *model = getenv("LLMKIT_MODEL") ? getenv("LLMKIT_MODEL") : "openai/gpt-4.1-mini";
    const char *base_url = getenv("LLMKIT_BASE_URL");
    char options[1024];
    if (base_url)
        snprintf(options, sizeof options, "{\"model\": \"%s\", \"base_url\": \"%s\", \"api_key\": \"none\"}",
                 model, base_url);
    else
        snprintf(options, sizeof options, "{\"model\": \"%s\"}", model);

    printf("llmkit %s (ABI %d)\n", llmkit_version(), llmkit_abi_version());
    llmkit_client *client = llmkit_client_new(options);
    if (!client) {
        fprintf(stderr, "llmkit_client_new: %s\n", llmkit_last_error(NULL));
        return 1;
    }
    llmkit_tool_register(client, "square",
                         "{\"type\": \"object\", \"description\": \"The square of x.\","
                         " \"properties\": {\"x\": {\"type\": \"number\"}}, \"required\": [\"x\"]}",
                         square, NULL);

    char *result = NULL;
    if (llmkit_run(client, "{\"input\": \"What is 12 squared?\", \"tools\": [\"square\"]}", &result) != LLMKIT_OK) {
        fprintf(stderr, "llmkit_run: %s\n", llmkit_last_error(client));
        llmkit_client_free(client);
        return 1;
    }
    char *output = NULL;
    if (llmkit_json_text(result, "/data/output", &output) == LLMKIT_OK) printf("answer: %s\n", output);
    llmkit_free(output);
    llmkit_free(result); /* every string llmkit hands out is freed with llmkit_free */

    int events = 0;
    printf("stream: ");
    if (llmkit_stream(client, "{\"input\": \"Say hello.\", \"session\": \"user-42\", \"tools\": []}", on_event,
                      &events) != LLMKIT_OK) {
        fprintf(stderr, "\nllmkit_stream: %s\n", llmkit_last_error(client));
        llmkit_client_free(client);
        return 1;
    }
    printf("\n(%d events)\n", events);

    llmkit_client_free(client);
    llmkit_shutdown();
    return 0;
}

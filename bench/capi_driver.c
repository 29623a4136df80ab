/* The C side of the C API benchmarks: times agent runs and bare calls through libllmkit.so.
 *
 *     capi_driver BASE_URL MODE N
 *
 * BASE_URL is an OpenAI-compatible server (the fake provider server's /v1). MODE:
 *   run       N runs of one agent through llmkit_run: the model calls the C tool "square"
 *             once, then answers (two model requests per run);
 *   stream    the same runs through llmkit_stream (the callback counts the events);
 *   boundary  N calls of llmkit_cancel on an idle client: one crossing of the ABI into
 *             Python and back, a handle check, no run.
 * Three untimed runs come first (the first call starts the interpreter). Prints one JSON line:
 *   {"mode": "run", "n": N, "seconds": S, "per_call_us": U, "cpu_per_call_us": C}
 * where C is the CPU time of this process (every thread: the caller's, llmkit's loop and tool
 * workers) per call, which a loaded machine disturbs less than the elapsed time U.
 * and exits 1, with llmkit's message on stderr, if a call fails. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "llmkit.h"

static char *square(const char *args_json, void *userdata) {
    (void)args_json, (void)userdata;
    return strdup("144");
}

static int count_event(const char *event_json, void *userdata) {
    (void)event_json;
    (*(long *)userdata)++;
    return 0;
}

static const char *REQUEST = "{\"input\": \"What is 12 squared?\"}";

static int one(llmkit_client *client, const char *mode) {
    if (strcmp(mode, "boundary") == 0) return llmkit_cancel(client);
    if (strcmp(mode, "stream") == 0) {
        long events = 0;
        return llmkit_stream(client, REQUEST, count_event, &events);
    }
    char *out = NULL;
    llmkit_status status = llmkit_run(client, REQUEST, &out);
    llmkit_free(out);
    return status;
}

static double cpu(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4 || atol(argv[3]) < 1) {
        fprintf(stderr, "usage: %s BASE_URL run|stream|boundary N\n", argv[0]);
        return 2;
    }
    const char *mode = argv[2];
    long n = atol(argv[3]);
    char options[1024];
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-bench\"}",
             argv[1]);
    llmkit_client *client = llmkit_client_new(options);
    if (!client || llmkit_tool_register(client, "square",
                                        "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"}},"
                                        "\"required\":[\"x\"]}",
                                        square, NULL) != LLMKIT_OK) {
        fprintf(stderr, "setup: %s\n", llmkit_last_error(NULL));
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        if (one(client, "run") != LLMKIT_OK) {
            fprintf(stderr, "warm-up run: %s\n", llmkit_last_error(client));
            return 1;
        }
    }
    double start = now(), start_cpu = cpu();
    for (long i = 0; i < n; i++) {
        if (one(client, mode) != LLMKIT_OK) {
            fprintf(stderr, "%s: %s\n", mode, llmkit_last_error(client));
            return 1;
        }
    }
    double seconds = now() - start, cpu_seconds = cpu() - start_cpu;
    printf("{\"mode\": \"%s\", \"n\": %ld, \"seconds\": %.6f, \"per_call_us\": %.3f, \"cpu_per_call_us\": %.3f}\n",
           mode, n, seconds, seconds / (double)n * 1e6, cpu_seconds / (double)n * 1e6);
    llmkit_client_free(client);
    llmkit_shutdown();
    return 0;
}

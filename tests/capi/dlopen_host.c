/* A host that loads libllmkit.so as LuaJIT's ffi.load and most plugin hosts do: dlopen with
 * RTLD_LOCAL, every function looked up with dlsym (the program is not linked with it).
 *
 *   dlopen_host LIBRARY BASE_URL
 *
 * It runs an agent whose tool callback outlasts tool_timeout, frees the client and dlcloses the
 * library while the callback still runs, then lets the callback return into the library.
 * Prints "ok dlopen" when every check held, else "FAIL ..." and exits 1. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llmkit.h"

#define CHECK(cond)                                            \
    do {                                                       \
        if (!(cond)) {                                         \
            printf("FAIL line %d: %s\n", __LINE__, #cond);     \
            exit(1);                                           \
        }                                                      \
    } while (0)

static sem_t entered, release;

static char *blocking(const char *args_json, void *userdata) {
    (void)args_json, (void)userdata;
    sem_post(&entered);
    sem_wait(&release);
    return strdup("\"done\"");
}

#define LOOK_UP(type, name) type name = (type)dlsym(library, #name); CHECK(name != NULL)

typedef llmkit_client *(*client_new_fn)(const char *);
typedef void (*client_free_fn)(llmkit_client *);
typedef llmkit_status (*tool_register_fn)(llmkit_client *, const char *, const char *, llmkit_tool_fn,
                                          void *);
typedef llmkit_status (*run_fn)(llmkit_client *, const char *, char **);
typedef const char *(*last_error_fn)(const llmkit_client *);
typedef void (*free_fn)(void *);

int main(int argc, char **argv) {
    CHECK(argc == 3);
    sem_init(&entered, 0, 0);
    sem_init(&release, 0, 0);
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(library != NULL);
    LOOK_UP(client_new_fn, llmkit_client_new);
    LOOK_UP(client_free_fn, llmkit_client_free);
    LOOK_UP(tool_register_fn, llmkit_tool_register);
    LOOK_UP(run_fn, llmkit_run);
    LOOK_UP(last_error_fn, llmkit_last_error);
    LOOK_UP(free_fn, llmkit_free);
    char options[1024];
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-test\"}", argv[2]);
    llmkit_client *client = llmkit_client_new(options);
    if (client == NULL) printf("client: %s\n", llmkit_last_error(NULL));
    CHECK(client != NULL);
    char *out = NULL;
    CHECK(llmkit_run(client, "{\"input\": \"hi\"}", &out) == LLMKIT_OK);
    CHECK(strstr(out, "\"kind\":\"run_result\"") != NULL);
    llmkit_free(out);
    llmkit_client_free(client);
    /* A callback still running when the host unloads the library. */
    snprintf(options, sizeof options,
             "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": \"%s\", \"api_key\": \"sk-test\","
             " \"tool_timeout\": 0.2}", argv[2]);
    client = llmkit_client_new(options);
    CHECK(client != NULL);
    CHECK(llmkit_tool_register(client, "slow", "{\"type\": \"object\", \"properties\": {}}", blocking, NULL) ==
          LLMKIT_OK);
    CHECK(llmkit_run(client, "{\"input\": \"hi\"}", &out) == LLMKIT_ERR_TIMEOUT);
    sem_wait(&entered);
    llmkit_client_free(client);
    CHECK(dlclose(library) == 0);
    CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != NULL); /* never unloaded */
    sem_post(&release);
    sleep(1); /* time for the callback to return into the library (a crash would show here) */
    printf("ok dlopen\n");
    return 0;
}

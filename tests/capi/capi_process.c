/* The process: fork, and an llmkit or a Python that cannot start (test_capi.c runs them). */
#include "capi_test.h"

#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ fork */

static void expect_child(pid_t pid) {
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void test_fork(void) {
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

void test_init_fails(void) {
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

void test_python_fails(void) {
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

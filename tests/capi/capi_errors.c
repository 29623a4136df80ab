/* Every error status: bad arguments, handles, tools, strict JSON and UTF-8 (test_capi.c runs them). */
#include "capi_test.h"

void test_arguments(void) {
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

void test_handles(void) {
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

void test_tools(void) {
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

void test_json(void) {
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

void test_strict(void) {
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
    CONTAINS(llmkit_last_error(client), "the answer of tool 'nan' is not JSON");
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

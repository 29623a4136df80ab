"""Every example in examples/ runs offline and prints what it promises."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Variables that would make an example reach a real provider.
_REAL = (
    "LLMKIT_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
)


def run_example(name: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# What each example that needs nothing but a plain run must print.
PRINTS: dict[str, list[str]] = {
    "ui_app.py": [
        "/ui/ (token: example-token)",
        "run: paused - pending: ['refund']",
        "after approval: complete",
        "- **Refunded 19.50 EUR on order 7.**",
        "ms by the server's clock",
        "runs, newest first: [('support', 'complete'), ('support', 'complete')]",
        "page: 200 text/html; charset=utf-8",
    ],
    "memory_knowledge_qa.py": [
        "Stored 9 passages from 3 files.",
        "   retrieved tides#1 ",
        "A: The Earth turns under both bulges once a day, so most coasts see two high tides",
        "A: Molten rock underground is called magma. [volcanoes#1]",
        "   retrieved bees#1 ",
        "A: A forager that has found flowers tells her sisters where they are by dancing on the comb. [bees#1]",
    ],
    "stream_partial_output.py": [
        "INV-77 [] total=None",
        "INV-77 [3 hours of consulting=360.0, travel=45.0] total=None",
        "validated: INV-77, 2 lines, total 405.0",
        "the last one validated",
    ],
    "mcp_progress_errors.py": [
        "[progress] index: 1/3 indexed a.md",
        "[progress] index: 3/3 indexed c.md",
        "[tool result] 3 files indexed",
        "[bus] 3 tool.progress events for call call_1",
        "the server process exited with code 1; the last lines of its stderr:",
        "  config.toml: no such file",
    ],
    "prompt_directory.py": [
        "support@2      Answer a customer of the shop, by their plan.",
        "support is version 2, written for openai/gpt-4.1-mini",
        "The customer is Ada {{ admin }}, on the pro plan.",
        'Answer in two sentences at most. Sign as "Acme support".',
        "[agent] (instructions said: 'The customer is Ada {{ admin }}, on the pro plan.')",
        "[summarise, output type Summary] Order {42} is late!",
        "[missing] 'shop' in support@1.md, line 4",
    ],
    "quickstart.py": [
        "running offline against llmkit's fake provider server",
        "one API over cloud and local models",
        "[tool call] get_weather({'city': 'Paris'})",
        "It is 18 °C and sunny in Paris.",
    ],
    "ollama_chat.py": [
        "running offline against llmkit's fake provider server",
        "Models: llama3.2:latest, qwen3:8b",
        "[tool call] local_time({'city': 'Lisbon'})",
        "The clock says: It is 14:05 in Lisbon.",
        "2 vectors of 8 numbers",
    ],
    "agent_tools.py": [
        "[tool result (error)] No item 'apples'; known items: apple, bread, coffee.",
        "[tool call] price({'item': 'apple'})",
        "[tool call] total({'amounts': [1.5, 2.25]})",
        "Three apples and a bread cost 3.38 EUR after a 10% discount.",
        "4 model calls",
        "[log WARNING] Tool 'stock' raised TypeError: 'NoneType' object is not subscriptable (run ",
        "[tool failed] TypeError: 'NoneType' object is not subscriptable",
        "[run] complete: I could not check the stock.",
        "[tool_errors='raise'] Tool 'stock' raised TypeError",
    ],
    "structured_extraction.py": [
        "[native] Invoice INV-77: 364.5 EUR, due 2025-07-31",
        "2 lines, 2 model calls",
        "[prompted] recovered from fenced JSON: INV-77, 364.5 EUR",
        "[retry] fixed after 2 model calls: 364.5 EUR",
        "- lines: Field required",
        "[json] round trip equal: True",
    ],
    "extract_invoice.py": [
        "[xml] INV-77: 2 lines, 405.0 USD, paid=False, due 2025-07-31",
        "[yaml] INV-77: 2 lines, 405.0 USD, paid=False, due 2025-07-31",
        "[json] INV-77: 2 lines, 405.0 USD, paid=False, due 2025-07-31",
        "[invalid] 3 errors:",
        "- lines.0.amount: Input should be a valid number, unable to parse string as a number (got 'TBD')",
        "[refused] The XML text is refused: it has a document type declaration (<!DOCTYPE>",
    ],
    "handoffs.py": [
        "[handoff] triage -> billing",
        "[tool call] policy({'input': 'May order A17 be refunded?'})",
        "billing: Done: Refunded 49.90 EUR for order A17.",
        "5 model calls in all",
    ],
    "evaluate_offline.py": [
        "Offline: the model is llmkit's fake provider server",
        "support: 4 cases, model openai/gpt-4.1-mini, judge openai/gpt-4.1-mini",
        "refund-delivered         1.00      0.77    0.81   1.00",
        "PASSED: 3 thresholds met",
        "llmkit eval exited with status 0",
    ],
    "testmodel_agent.py": [
        "[tool call] search_flights({'origin': 'AAA', 'destination': 'AAA', 'day': '2025-01-01'})",
        "[tool call] convert({'amount': 1.5, 'currency': 'USD'})",
        "[tool result] convert: 1.62",
        "[output] Itinerary(travellers=1, legs=[Leg(origin='AAA', destination='AAA', price_eur=1.5)]",
        "complete after 2 model calls",
        "Hello! This is the llmkit fake server.\n(exit status 0)",
    ],
    "tools_system.py": [
        "APP_REGION = eu-west",
        "[allow_env] Refused (allow_env): 'OPENAI_API_KEY'",
        "31 Jan + 1 month: 2025-02-28",
    ],
    "tools_data.py": [
        "Big orders: ['Ada', 'Grace']",
        "[{'region': 'north', 'units': 12, 'lines': 2}",
        "[syntax] Refused (syntax): step 1 (filter)",
    ],
    "tools_feed.py": [
        "2025-10-03 Team blog: How we test",
        "  2025-10-01 Version 2.0 is out (Release log)",
    ],
    "tools_wrap.py": [
        "greet -> Hello, Ada; rm -rf *",
        "[option_value] Refused (option_value): the value of 'order' ('-o')",
        "/pets/..%2Fadmin answered HTTP 404",
        "OpenAPI tools: listPets['limit'], getPet['petId']",
        "[private_address] Refused (private_address): '169.254.169.254'",
    ],
    "observability.py": [
        "[log] model openai/gpt-4.1-mini: tool_calls",
        "[log] tool get_weather: ok",
        "[bus] tool.call get_weather({'city': 'Paris'})",
        "[span] chat gpt-4.1-mini (operation.name=chat",
        "[span] execute_tool get_weather (operation.name=execute_tool",
        "[span] invoke_agent weather (operation.name=invoke_agent",
        "[metrics] openai/gpt-4.1-mini: 2 requests",
        '[prometheus] llmkit_model_requests_total{model="openai/gpt-4.1-mini"} 2',
    ],
    "durable_workflow_dbos.py": [
        "killed the run in the middle of article/publish (exit -9)",
        "model requests before the recovery: 1",
        "recorded by DBOS, not run again: article/researcher, article/outline",
        "ran on recovery: article/publish (killed before it finished)",
        "model requests in all: 1 (the researcher ran once)",
        "outline started 1 time(s), publish 2",
        "status: published 2 sections",
    ],
    "durable_workflow_resume.py": [
        "killed the run in the middle of article/publish (exit -9)",
        "model requests before the resume: 1",
        "resumed without running: article/researcher, article/outline",
        "ran on resume: article/publish (killed before it finished)",
        "model requests in all: 1 (the researcher ran once)",
        "outline started 1 time(s), publish 2",
        "status: published 2 sections",
    ],
    "workflow_article.py": [
        "article/reviews[1]/critic_b  ok",
        "approved: True",
        "usage: 5 requests,",
    ],
    "batch_agents.py": [
        "progress: 12/12 done, 1 failed,",
        "first run: 11 answered, 1 failed",
        "  item 3 failed: RateLimitError",
        "usage: 11 requests,",
        "second run: 11 resumed from the file, 1 run again",
        "  What is the capital of Peru? Lima",
        "all answered: True; 13 lines in the file",
    ],
    "workflow_map_reduce.py": [
        "8 chapters summarised",
        "In short: The moon pulls the sea. Old mills used the tide.",
        "book/summaries[7]/summariser",
        "book/editor",
    ],
    "workflow_retry_breaker.py": [
        "attempt 1 failed: RateLimitError",
        "attempt 2 failed: RateLimitError",
        "forecast: Sunny, 18 °C.",
        "attempt 1 failed: CircuitOpenError: Circuit 'flaky' is open after 2 failures in a row",
        "run 3: 0 request(s), fallback answered: Yesterday's headlines (cached).",
        "run 4: 1 request(s), news answered: Fresh headlines.",
    ],
    "workflow_yaml.py": [
        "approved: True",
        "flowchart TD",
        "round trip: same result",
        "├── reviews (parallel, max 4, timeout 60 s) -> reviews",
    ],
    "memory_long_chat.py": [
        "turn 7: history 14 messages,  579 tokens; sent 527",
        "turn 8: history 16 messages,  661 tokens; sent 303",
        "every request fit the budget of 600: True",
        "the summariser was called 2 times in 12 turns",
        "the history kept every message: True",
    ],
    "transports.py": [
        "[aiohttp] Hello over HTTP (1 message).",
        "[httpx2] Hello over HTTP (1 message).",
        "http2=True is served by httpx2",
    ],
    "durable_agent_resume.py": [
        "[killed] the first process with SIGKILL inside pack_order (exit -9)",
        "[resume] Order 7 is paid and packed.",
        "charge_card ran 1 time(s)",
        "pack_order finished 1 time(s) (started 2 times: it is idempotent)",
        "model requests: 3, repeated: 0",
    ],
    "memory_at_scale.py": [
        "20,000 vectors, index='hnsw'",
        "recall@10 against the exact search is at least 0.9: True",
        "every filtered hit matches the filter: True",
        "15 chunks of at most 40 tokens (the longest has 29)",
        "anthropic/claude-sonnet-4-5 counts 15 input tokens",
        "gemini/gemini-2.5-flash counts 15 input tokens",
    ],
    "js_scripts.py": [
        "you: What is my name?",
        "[chat] 4 messages",
        "bees: Hello! This is the llmkit fake server.",
        "[fanout] 2 answers",
        "[research] [('a', 'The tool returned: 2.25'), ('b', 'The tool returned: 2.25'), "
        "('tokens', True), ('tool_calls', 2)]",
        "hours Support answers from 9 to 5 on weekdays.",
        "[memory] [('answer', 'Hello! This is the llmkit fake server.'), ('best', 'hours'), "
        "('tokens', 6)]",
        "model requests: 9",
        "[spec] the square tool is used by an agent: passed",
        "[spec] json refuses text that is not JSON: passed",
    ],
    "lua_scripts.py": [
        "you: What is my name?",
        "[chat] 4 messages",
        '[research] {"definition": "The tool returned: 2.25", "risks": "The tool returned: 2.25", '
        '"square": "The tool returned: 2.25", "tokens": true, "tool_calls": 3}',
        "volcanoes: Hello! This is the llmkit fake server.",
        "[fanout] 3 answers",
        "article/reviews[0]/style ok",
        "[workflow] [('notes', 'Hello! This is the llmkit fake server.'), ('requests', 4), "
        "('rounds', 2), ('score', 0.5)]",
        "[memory] [('answer', 'Hello! This is the llmkit fake server.'), ('best', 'hours'), "
        "('tokens', 6)]",
        "model requests: 16",
        "[spec] the square tool is used by an agent: passed",
        "[spec] json keeps empty arrays: passed",
    ],
    "serve_support_agent.py": [
        "answer: Order 42 left the warehouse this morning.",
        "streamed: Order 7 is waiting for payment.",
        "run: complete - Order 7 is waiting for payment; you can pay it from your account page.",
        "events, from run.start to run.end",
    ],
    "chat_sessions.py": [
        "[new process] assistant: Nice to meet you, Ada. (history: 0 messages)",
        "[new process] assistant: Your name is Ada. (history: 2 messages)",
        "the session holds 4 messages:",
    ],
    "serve_mcp_tools.py": [
        "Served tools: price_list, ask_baker",
        '[tool result] {"apple":0.5,"bread":2.25}',
        "[tool result] The sourdough came out of the oven at seven.",
        "[answer] Apples are 0.50 EUR, bread 2.25 EUR; the sourdough is fresh from this morning.",
    ],
}


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_example_prints_what_it_promises(name: str) -> None:
    out = run_example(name)
    missing = [line for line in PRINTS[name] if line not in out]
    assert not missing, f"{name} did not print {missing!r}; it printed:\n{out}"


def test_every_example_has_a_test() -> None:
    tested = {"quickstart.py", "ollama_chat.py", "providers.py"}
    tested |= {"agent_tools.py", "structured_extraction.py", "handoffs.py", "approval.py"}
    tested |= {"evaluate_offline.py", "testmodel_agent.py", "extract_invoice.py"}
    tested |= {f"tools_{family}.py" for family in ("files", "http", "system", "data", "process")}
    tested |= {"tools_math.py", "tools_feed.py", "tools_wrap.py", "tools_agent_mcp.py"}
    tested |= {"observability.py", "record_replay.py", "mcp_progress_errors.py", "transports.py"}
    tested |= {"prompt_directory.py", "stream_partial_output.py", "memory_long_chat.py"}
    tested |= {"durable_agent_resume.py", "chat_sessions.py", "durable_workflow_resume.py"}
    tested |= {"durable_workflow_dbos.py"}
    tested |= {"memory_knowledge_qa.py", "memory_at_scale.py"}
    tested |= {"lua_scripts.py", "js_scripts.py"}
    tested |= {"serve_support_agent.py"}
    tested |= {"serve_mcp_tools.py"}
    tested |= {"batch_agents.py"}
    tested |= {"ui_app.py"}
    tested |= {"batch_on_ray.py"}
    tested |= {f"workflow_{name}.py" for name in ("article", "map_reduce", "retry_breaker", "yaml")}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.parametrize("variable", ["LLMKIT_MODEL"])
def test_quickstart_uses_the_configured_model(variable: str, llmkit_fake_server: object) -> None:
    base_url = llmkit_fake_server.openai_base_url  # type: ignore[attr-defined]
    llmkit_fake_server.script(["Configured model answering.", "No tools needed."])  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    env.update(
        {variable: "openai/gpt-4.1-mini", "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-x"}
    )
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Using openai/gpt-4.1-mini." in done.stdout
    assert "Configured model answering." in done.stdout
    assert "offline" not in done.stdout


def test_ollama_example_uses_your_ollama_when_a_model_is_named(llmkit_fake_server: object) -> None:
    from llmkit.testing import tool_call

    server = llmkit_fake_server
    server.script(["Your own Ollama.", tool_call("local_time", city="Oslo"), "Done."])  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    env["OLLAMA_HOST"] = server.url  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "ollama_chat.py"), "qwen3:8b", "all-minilm"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "offline" not in done.stdout
    assert "Your own Ollama." in done.stdout
    assert "[tool call] local_time({'city': 'Oslo'})" in done.stdout
    sent = [(r.path, (r.json or {}).get("model")) for r in server.requests]  # type: ignore[attr-defined]
    assert sent == [
        ("/api/tags", None),
        ("/api/chat", "qwen3:8b"),
        ("/api/chat", "qwen3:8b"),
        ("/api/chat", "qwen3:8b"),
        ("/api/embed", "all-minilm"),
    ]


def test_providers_example_sends_one_request_over_four_protocols() -> None:
    out = run_example("providers.py")
    assert "Offline: every model below is served by llmkit's fake provider server" in out
    for name in (
        "openai/gpt-4.1-mini",
        "anthropic/claude-sonnet-4-5",
        "gemini/gemini-2.5-flash",
        "ollama/llama3.2",
        "llamacpp/gemma-3-270m",
    ):
        assert f"{name}" in out
    assert out.count("In Paris it is 18 °C and sunny.") == 5
    assert "no price listed" in out  # Ollama runs locally: no price in the table
    assert out.count("at genai-prices 0.") == 3  # the three cloud models, with their source
    assert "fallback(anthropic, openai): Answered by the fallback model." in out


def test_approval_example_resumes_in_another_process() -> None:
    out = run_example("approval.py")
    assert "[paused] waiting for approval of 2 calls:" in out
    assert "[reviewer] send_money{'to': 'Mallory', 'amount_eur': 9000}: denied" in out
    assert "[tool result] Sent 250.00 EUR to Alice (supplier)." in out
    assert "[tool result] The user denied this tool call; it was not run." in out
    assert out.rstrip().splitlines()[-1].startswith("[complete] Payments handled:")


def test_the_support_agent_tests_pass_with_the_testing_kit() -> None:
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "evals")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout


def test_tools_files_example() -> None:
    out = run_example("tools_files.py")
    assert "Wrote 31 bytes to notes/todo.md." in out
    assert "[root] Refused (root): '../secret.txt' contains '..'" in out
    assert "[root] Refused (root): '/etc/passwd' is an absolute path" in out
    assert "[root] Refused (root): 'escape' leads outside the root directory" in out
    assert "not for the model" not in out


def test_tools_math_example() -> None:
    out = run_example("tools_math.py")
    assert "(17 + 25) * 3 = 126" in out
    assert "9**9**9**9: [max_exponent]" in out and "(slow)" not in out
    assert "small_calculator 1267650600228229401496703205376" in out


def test_tools_process_example() -> None:
    out = run_example("tools_process.py")
    assert "echo: hello; rm -rf * (the ';' is just a character)" in out
    assert "Refused (program_args): sed: the command 'w' writes a file" in out
    assert (
        "Refused (root_links): the root holds a symbolic link that leads out of it: 'shared'" in out
    )
    for rule in ("allow_commands", "path_args", "timeout"):
        assert f"[{rule}] Refused ({rule})" in out
    assert "a.txt still there: True" in out


def test_tools_http_example() -> None:
    out = run_example("tools_http.py")
    assert "# Shop\n\nOpen today\nFrom 9 to 17." in out
    assert "redirected to http://evil.example/steal" in out
    for rule in ("allow_hosts", "max_bytes", "allow_methods", "private_address"):
        assert f"[{rule}] Refused ({rule})" in out


def test_tools_agent_mcp_example() -> None:
    out = run_example("tools_agent_mcp.py")
    assert "shop_price_list" in out.splitlines()[0]
    assert "[tool call] shop_price_list({'items': ['apple', 'bread']})" in out
    assert "[tool result] 6.0" in out
    assert "[tool result (error)] Refused (root)" in out
    assert "[answer] Three apples and two breads cost 6.0 EUR; the receipt is saved." in out


def test_observability_example_runs_and_says_so_without_the_opentelemetry_sdk() -> None:
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    hide_sdk = (
        "import runpy, sys; sys.modules['opentelemetry.sdk'] = None; "
        f"runpy.run_path({str(EXAMPLES / 'observability.py')!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide_sdk], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "[tracing] opentelemetry-sdk is not installed: no traces" in done.stdout
    assert "[span]" not in done.stdout
    assert "Answer: It is 18 °C and sunny in Paris." in done.stdout


def test_record_replay_example_replays_offline_and_prints_the_cli_trace(tmp_path: Path) -> None:
    out = run_example("record_replay.py", str(tmp_path / "run.jsonl"))
    assert "[recorded] 9 lines in run.jsonl; invoices sent: ['ACME']" in out
    assert "[replayed] equal to the recorded result: True; invoices sent: ['ACME']" in out
    assert "$ llmkit replay run.jsonl --speed 0" in out
    assert "  [1]    ok send_invoice: Invoice of 120.00 EUR sent to ACME." in out
    assert "  => complete: Done: the invoice of 120.00 EUR is on its way to ACME." in out


def test_rpc_node_client_example() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make mcp-servers installs it)")
    env = {k: v for k, v in os.environ.items() if k not in _REAL}
    env["PYTHON"] = sys.executable
    done = subprocess.run(
        [node, str(EXAMPLES / "rpc" / "client.mjs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for line in (
        "[tool result] shipped on Monday, arriving Thursday",
        "[stream] complete: Order 42: shipped on Monday, arriving Thursday.",
        '[run] paused, waiting for: refund({"order":42})',
        "[approve] complete: Order 42: order 42 refunded.",
        "[session] user-42 holds 8 messages",
        "[error] -32002 run_not_found",
        "[server exited] 0",
    ):
        assert line in done.stdout

//! An llmkit agent driven from Zig: a tool written in Zig, a run, a stream.
//!
//!     make capi                                 # build/capi/libllmkit.so and llmkit.h
//!     python -m ziglang translate-c build/capi/llmkit.h > build/capi/llmkit.zig
//!     python -m ziglang build-exe --dep llmkit -Mroot=examples/capi/agent.zig \
//!         -Mllmkit=build/capi/llmkit.zig -Lbuild/capi -lllmkit -lc \
//!         -rpath build/capi -femit-bin=build/capi/agent-zig
//!     python -m llmkit.testing serve            # a fake provider server; prints its URL
//!     LLMKIT_BASE_URL=http://127.0.0.1:PORT/v1 build/capi/agent-zig
//!
//! The declarations are llmkit.h translated by Zig's translate-c, so this program and the
//! library cannot disagree. It reads JSON with llmkit's own utility (llmkit_json_text),
//! prints with the C library's printf, and uses little of Zig's standard library (memory
//! and slices), so it builds with Zig 0.14 to 0.17.
//! Tool callbacks run on llmkit's worker threads; this one touches no shared state.

const std = @import("std");
const c = @import("llmkit");

extern fn printf(format: [*:0]const u8, ...) c_int;
extern fn getenv(name: [*:0]const u8) ?[*:0]const u8;
extern fn strdup(s: [*:0]const u8) ?[*:0]u8;

const allocator = std.heap.c_allocator;

/// One value of a JSON text, named by a JSON Pointer ("/data/output"), read by llmkit's own
/// JSON utility and copied into `arena`: a string as plain text, any other value as JSON.
fn jsonText(arena: std.mem.Allocator, json: [*c]const u8, pointer: [*:0]const u8) []const u8 {
    var text: [*c]u8 = null;
    if (c.llmkit_json_text(json, pointer, &text) != c.LLMKIT_OK) return "?";
    defer c.llmkit_free(text);
    return arena.dupe(u8, std.mem.span(text)) catch "?";
}

/// `text` as a JSON string literal (quotes, backslashes and control characters escaped).
fn jsonString(arena: std.mem.Allocator, text: []const u8) ![]const u8 {
    const hex = "0123456789abcdef";
    var out = try arena.alloc(u8, text.len * 6 + 2);
    var n: usize = 0;
    out[n] = '"';
    n += 1;
    for (text) |byte| {
        if (byte == '"' or byte == '\\') {
            out[n] = '\\';
            out[n + 1] = byte;
            n += 2;
        } else if (byte < 0x20) {
            @memcpy(out[n .. n + 4], "\\u00");
            out[n + 4] = hex[byte >> 4];
            out[n + 5] = hex[byte & 15];
            n += 6;
        } else {
            out[n] = byte;
            n += 1;
        }
    }
    out[n] = '"';
    return out[0 .. n + 1];
}

fn print(text: []const u8) void {
    _ = printf("%.*s", @as(c_int, @intCast(text.len)), text.ptr);
}

/// The tool: `{"city": ...}` in, the weather out, as JSON text from malloc (llmkit frees it).
fn getWeather(args_json: [*c]const u8, userdata: ?*anyopaque) callconv(.c) [*c]u8 {
    _ = userdata;
    var arena = std.heap.ArenaAllocator.init(allocator);
    defer arena.deinit();
    print("[zig tool] get_weather(");
    print(jsonText(arena.allocator(), args_json, "/city"));
    print(")\n");
    return strdup("{\"temperature_c\": 18, \"sky\": \"sunny\"}");
}

/// What the stream's callback keeps: how many events came, and their kinds, space-separated.
const Events = struct {
    count: usize = 0,
    kinds: [4096]u8 = undefined,
    used: usize = 0,
    arena: std.heap.ArenaAllocator,
};

/// One event of the stream, on the thread that called llmkit_stream: count it, note its kind.
fn onEvent(event_json: [*c]const u8, userdata: ?*anyopaque) callconv(.c) c_int {
    const events: *Events = @ptrCast(@alignCast(userdata.?));
    events.count += 1;
    const kind = jsonText(events.arena.allocator(), event_json, "/kind");
    if (events.used + kind.len + 1 <= events.kinds.len) {
        events.kinds[events.used] = ' ';
        @memcpy(events.kinds[events.used + 1 .. events.used + 1 + kind.len], kind);
        events.used += kind.len + 1;
    }
    return 0;
}

fn fail(client: ?*c.llmkit_client, status: c.llmkit_status) u8 {
    _ = printf("llmkit status %u: %s\n", status, c.llmkit_last_error(client));
    return 1;
}

pub fn main() u8 {
    const base_url = getenv("LLMKIT_BASE_URL") orelse {
        _ = printf("set LLMKIT_BASE_URL to a provider's base URL, such as the one that\n" ++
            "python -m llmkit.testing serve prints, followed by /v1\n");
        return 2;
    };
    _ = printf("llmkit %s, ABI %d\n", c.llmkit_version(), c.llmkit_abi_version());
    if (c.llmkit_abi_version() != c.LLMKIT_ABI_VERSION) {
        _ = printf("the library's ABI is not this header's (%d)\n", @as(c_int, c.LLMKIT_ABI_VERSION));
        return 1;
    }

    var arena = std.heap.ArenaAllocator.init(allocator);
    defer arena.deinit();
    const a = arena.allocator();

    // The options as JSON, the URL written as a JSON string.
    const options = std.mem.concatWithSentinel(a, u8, &.{
        "{\"model\": \"openai/gpt-4.1-mini\", \"base_url\": ",
        jsonString(a, std.mem.span(base_url)) catch return 1,
        ", \"api_key\": \"sk-example\", \"instructions\": \"Answer in one sentence.\"}",
    }, 0) catch return 1;
    const client = c.llmkit_client_new(options.ptr) orelse {
        _ = printf("no client: %s\n", c.llmkit_last_error(null));
        return 1;
    };
    defer c.llmkit_client_free(client);

    const schema = "{\"type\": \"object\", \"description\": \"Current weather in a city.\", " ++
        "\"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}";
    var status = c.llmkit_tool_register(client, "get_weather", schema, getWeather, null);
    if (status != c.LLMKIT_OK) return fail(client, status);

    var out: [*c]u8 = null;
    status = c.llmkit_run(client, "{\"input\": \"What is the weather in Paris?\"}", &out);
    if (status != c.LLMKIT_OK) return fail(client, status);
    print("[run] kind ");
    print(jsonText(a, out, "/kind"));
    print("\n[run] output: ");
    print(jsonText(a, out, "/data/output"));
    print("\n");
    c.llmkit_free(out);

    var events = Events{ .arena = std.heap.ArenaAllocator.init(allocator) };
    defer events.arena.deinit();
    status = c.llmkit_stream(client, "{\"input\": \"And in Rome?\"}", onEvent, &events);
    if (status != c.LLMKIT_OK) return fail(client, status);
    _ = printf("[stream] %zu events:", events.count);
    print(events.kinds[0..events.used]);
    print("\n");

    status = c.llmkit_run(client, "{not json", &out);
    _ = printf("[error] status %u: %s\n", status, c.llmkit_last_error(client));
    print("done\n");
    return 0;
}

using System.Text;
using System.Text.Json;
using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary><c>guardedai import</c> run as a process on a file mixing good lines and every kind of garbage.</summary>
public sealed class ImportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// 7 importable lines (4 JSON lines of different shapes, 3 common-log lines: one plain, one with usage fields, one an
    /// identical repeat of the plain one — a second call in the same second), 2 blank lines, and 11 garbage lines.
    /// </summary>
    private string WriteMixedLog()
    {
        var path = _dir.File("access.log");
        using var file = new FileStream(path, FileMode.Create);
        void Line(string text) => file.Write(Encoding.UTF8.GetBytes(text + "\n"));
        void Bytes(byte[] bytes) { file.Write(bytes); file.WriteByte((byte)'\n'); }

        Line("""{"timestamp": "2025-12-25T10:30:00Z", "path": "/v1/messages", "status": 200, "model": "claude-3-haiku-20240307", "input_tokens": 1500, "output_tokens": 500}""");   // 1
        Line("""{"timestamp": "2025-12-25T10:31:00Z", "path": "/v1/chat/completions", "status": 200, "model": "gpt-4o", "usage": {"prompt_tokens": 1000, "completion_tokens": 200}, "request_id": "req-1", "tenant": "globex"}"""); // 2
        Line("""{"timestamp": "2025-12-25T10:32:00Z", "model": "gpt-4o-mini", "input_tokens": 300, "output_tokens": 20, "status": 500, "user_agent": "openai-python/1.50"}"""); // 3
        Line("10.0.0.1 - - [25/Dec/2025:10:30:00 +0000] \"POST /v1/messages HTTP/1.1\" 200 1234 \"-\" \"anthropic-sdk/0.1.0\"");                                      // 4
        Line("10.0.0.1 - - [25/Dec/2025:10:30:00 +0000] \"POST /v1/messages HTTP/1.1\" 200 1234 \"-\" \"anthropic-sdk/0.1.0\"");                                      // 5 same second, second call
        Line("10.0.0.2 - - [25/Dec/2025:11:00:00 +0100] \"POST /v1/chat/completions HTTP/1.1\" 200 88 \"-\" \"openai-node/4.0\" model=gpt-4o input_tokens=2000 output_tokens=100"); // 6
        Line("");                                                                                                                                                   // 7 blank
        Line("""{"timestamp": "2025-12-25T10:30:00Z", "path": "/v1/messages", "status": 200, "model": "claude""");                                                  // 8 truncated JSON
        Bytes([0x7B, 0x00, 0x01, 0xFF, 0xFE, 0x10, 0x20]);                                                                                                          // 9 binary
        Line("{\"timestamp\": \"2025-12-25T10:33:00Z\", \"model\": \"gpt-4o\", \"input_tokens\": 1, \"output_tokens\": 1, \"pad\": \"" + new string('x', 1_100_000) + "\"}"); // 10 > 1 MiB
        Line("""{"timestamp": "2025-12-25T10:34:00Z", "model": "gpt-4o", "input_tokens": "12", "output_tokens": 1}""");                                             // 11 wrong type (string)
        Line("""{"timestamp": "2025-12-25T10:35:00Z", "model": "gpt-4o", "input_tokens": -5, "output_tokens": 1}""");                                               // 12 wrong type (negative)
        Line("""{"timestamp": "2025-12-25T10:36:00Z", "model": "totally-unknown-model-x", "input_tokens": 5, "output_tokens": 1}""");                                // 13 unknown model
        Line("""{"timestamp": "yesterday", "model": "gpt-4o", "input_tokens": 5, "output_tokens": 1}""");                                                          // 14 bad time
        Line("""{"model": "gpt-4o", "input_tokens": 5}""");                                                                                                         // 15 no timestamp
        Line("this is not a log line at all");                                                                                                                      // 16 neither format
        Line("10.0.0.1 - - [99/Foo/2025:10:30:00 +0000] \"GET /v1/messages HTTP/1.1\" 200 1 \"-\" \"anthropic-sdk\"");                                               // 17 bad CLF time
        Line("10.0.0.1 - - [25/Dec/2025:10:30:00 +0000] \"GET /healthz HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\"");                                                  // 18 not an LLM call
        Line("   ");                                                                                                                                                // 19 blank
        Line("""{"timestamp": "2025-12-25T10:37:00Z", "model": "gpt-4o", "input_tokens": 7, "output_tokens": 3, "request_id": "req-1"}""");                        // 20 same request id as line 2
        file.Write(Encoding.UTF8.GetBytes("""{"timestamp": "2025-12-25T10:38:00Z", "model": "gpt-4o", "input_tok"""));                                              // 21 truncated last line, no newline
        return path;
    }

    [Fact]
    public async Task A_mixed_file_imports_its_good_lines_and_counts_every_kind_of_garbage_with_its_line_number()
    {
        var log = WriteMixedLog();
        var db = _dir.File("ledger.db");

        var run = await Tool.RunAsync("import", "--db", db, "--file", log, "--format", "auto", "--output", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(21, root.GetProperty("lines").GetInt64());
        Assert.Equal(6, root.GetProperty("imported").GetInt64());
        Assert.Equal(1, root.GetProperty("duplicates").GetInt64()); // line 20 repeats request id req-1
        Assert.Equal(2, root.GetProperty("blank").GetInt64());
        Assert.Equal(12, root.GetProperty("rejected").GetInt64());
        var rejected = root.GetProperty("rejections").EnumerateArray().ToDictionary(r => r.GetProperty("line").GetInt64(), r => (r.GetProperty("kind").GetString(), r.GetProperty("reason").GetString()!));
        Assert.Equal(new long[] { 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21 }, rejected.Keys.Order());
        Assert.Equal("malformed-json", rejected[8].Item1);
        Assert.Equal("binary", rejected[9].Item1);
        Assert.Equal("too-long", rejected[10].Item1);
        Assert.Contains("'input_tokens'", rejected[11].Item2);
        Assert.Contains("\"12\"", rejected[11].Item2);
        Assert.Equal("wrong-type", rejected[12].Item1);
        Assert.Equal("unknown-model", rejected[13].Item1);
        Assert.Contains("totally-unknown-model-x", rejected[13].Item2);
        Assert.Contains("'timestamp'", rejected[14].Item2);
        Assert.Equal("missing-field", rejected[15].Item1);
        Assert.Equal("not-a-log-line", rejected[16].Item1);
        Assert.Equal("not-llm", rejected[18].Item1);
        Assert.Equal("malformed-json", rejected[21].Item1);

        Assert.Equal(6, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records"));
        Assert.Equal(2, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records WHERE provider = 'anthropic' AND model IS NULL")); // the two identical CLF lines
        Assert.Equal(1, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records WHERE tenant = 'globex' AND input_tokens = 1000"));
        Assert.Equal(1, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records WHERE status = 1 AND model = 'gpt-4o-mini' AND provider = 'openai'"));
        Assert.Equal(1, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records WHERE ts_ticks = " + new DateTimeOffset(2025, 12, 25, 10, 0, 0, TimeSpan.Zero).UtcTicks)); // +0100 read as 10:00Z
        var prices = PriceCatalog.CreateDefault();
        var expected = PriceCatalog.ComputeCost(prices.Resolve("claude-3-haiku-20240307").Price, new TokenUsage(1500, 500))
            + prices.ComputeCost("gpt-4o", new TokenUsage(1000, 200)) + prices.ComputeCost("gpt-4o-mini", new TokenUsage(300, 20)) + prices.ComputeCost("gpt-4o", new TokenUsage(2000, 100));
        Assert.Equal(expected, Ledgers.SumCost(db));
        Assert.Equal(1, Ledgers.Scalar(db, $"SELECT count(*) FROM audit_log WHERE action = 'import'"));
    }

    [Fact]
    public async Task Importing_the_same_file_again_imports_nothing_new_and_the_text_summary_says_so()
    {
        var log = WriteMixedLog();
        var db = _dir.File("again.db");

        var first = await Tool.RunAsync("import", "--db", db, "--file", log, "--format", "auto");
        var second = await Tool.RunAsync("import", "--db", db, "--file", log, "--format", "auto");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Imported 6 lines, rejected 12 lines", first.Output);
        Assert.Contains("Imported 0 lines, rejected 12 lines, 7 already in the ledger", second.Output);
        Assert.Contains("line 13: unknown model 'totally-unknown-model-x'", second.Output);
        Assert.Equal(6, Ledgers.Scalar(db, "SELECT count(*) FROM usage_records"));
        Assert.Equal(6, Ledgers.Scalar(db, "SELECT sum(requests) FROM usage_hourly"));
        Assert.False(first.Output.Contains('\u001b', StringComparison.Ordinal), "no ANSI escapes when not a terminal");
    }

    [Fact]
    public async Task The_format_option_restricts_what_is_read_and_errors_name_the_argument()
    {
        var log = WriteMixedLog();
        var db = _dir.File("formats.db");

        var clf = await Tool.RunAsync("import", "--db", db, "--file", log, "--format", "clf", "--output", "json");
        using (var json = JsonDocument.Parse(clf.Output))
        {
            Assert.Equal(3, json.RootElement.GetProperty("imported").GetInt64() + json.RootElement.GetProperty("duplicates").GetInt64());
        }
        var missing = await Tool.RunAsync("import", "--db", db, "--file", _dir.File("nope.log"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("--file", missing.Error);
        var badFormat = await Tool.RunAsync("import", "--db", db, "--file", log, "--format", "xml");
        Assert.Equal(64, badFormat.ExitCode);
        Assert.Contains("--format: 'xml' is not one of auto, json, clf", badFormat.Error);
        var noFile = await Tool.RunAsync("import", "--db", db);
        Assert.Equal(64, noFile.ExitCode);
        Assert.Contains("--file", noFile.Error);
    }
}

using System.Text.Json;

namespace GuardedAI.Tests;

public class JsonlLedgerTests
{
    private static UsageRecord Record(string id, DateTimeOffset at, decimal cost = 0.0123m) => new()
    {
        Id = id,
        Timestamp = at,
        Budget = "support",
        Provider = "openai",
        Model = "gpt-4o",
        InputTokens = 150,
        OutputTokens = 850,
        CostUsd = cost,
        ReservedCostUsd = 0.02m,
        Duration = TimeSpan.FromMilliseconds(2340),
        Status = UsageStatus.Success,
        Tags = new Dictionary<string, string> { ["endpoint"] = "/api/generate" },
    };

    [Fact]
    public async Task Writes_one_record_a_line_in_monthly_files_in_the_usage_log_format()
    {
        using var dir = new TempDirectory();
        await using var log = new JsonlUsageLedger(dir.Path);
        await log.AppendAsync(Record("a", new DateTimeOffset(2026, 1, 27, 8, 30, 15, TimeSpan.Zero)));
        await log.AppendAsync(Record("b", new DateTimeOffset(2026, 1, 31, 23, 59, 59, TimeSpan.Zero)));
        await log.AppendAsync(Record("c", new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)));

        var january = File.ReadAllLines(dir.File("usage_log_2026-01.jsonl"));
        Assert.Equal(2, january.Length);
        Assert.Single(File.ReadAllLines(dir.File("usage_log_2026-02.jsonl")));
        using var json = JsonDocument.Parse(january[0]);
        var root = json.RootElement;
        Assert.StartsWith("2026-01-27T08:30:15", root.GetProperty("timestamp").GetString());
        Assert.Equal("openai", root.GetProperty("provider").GetString());
        Assert.Equal(150, root.GetProperty("request_tokens").GetInt64());
        Assert.Equal(850, root.GetProperty("response_tokens").GetInt64());
        Assert.Equal(1000, root.GetProperty("total_tokens").GetInt64());
        Assert.Equal(0.0123m, root.GetProperty("estimated_cost").GetDecimal());
        Assert.Equal(2340, root.GetProperty("duration_ms").GetInt64());
        Assert.Equal("success", root.GetProperty("status").GetString());
        Assert.Equal("/api/generate", root.GetProperty("metadata").GetProperty("endpoint").GetString());

        var all = await log.ReadAllAsync(UsageQuery.All);
        Assert.Equal(["a", "b", "c"], all.Select(r => r.Id).ToArray());
        Assert.Equal(Record("a", new DateTimeOffset(2026, 1, 27, 8, 30, 15, TimeSpan.Zero)) with { Tags = all[0].Tags }, all[0]);
        Assert.Equal(["c"], (await log.ReadAllAsync(new UsageQuery { From = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) })).Select(r => r.Id).ToArray());
    }

    [Fact]
    public async Task A_corrupt_line_is_reported_with_its_file_and_line_never_skipped()
    {
        using var dir = new TempDirectory();
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var log = new JsonlUsageLedger(dir.Path))
        {
            await log.AppendAsync(Record("a", at));
            await log.AppendAsync(Record("b", at));
        }
        var path = dir.File("usage_log_2026-03.jsonl");
        var lines = File.ReadAllLines(path);
        File.WriteAllLines(path, [lines[0], "{\"id\": \"x\", \"timestamp\": \"2026-03-01\", \"budget\": 5, \"status\": \"success\"}", lines[1]]);

        await using var reader = new JsonlUsageLedger(dir.Path);
        var error = await Assert.ThrowsAsync<UsageLogFormatException>(() => reader.ReadAllAsync(UsageQuery.All).AsTask());
        Assert.Equal(2, error.LineNumber);
        Assert.Equal(path, error.Path);
        Assert.Contains("budget", error.Message);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public async Task A_truncated_last_line_is_reported_and_later_appends_start_on_a_new_line()
    {
        using var dir = new TempDirectory();
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var log = new JsonlUsageLedger(dir.Path))
        {
            await log.AppendAsync(Record("a", at));
            await log.AppendAsync(Record("b", at));
        }
        var path = dir.File("usage_log_2026-03.jsonl");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^20]); // a crash in the middle of writing "b"

        await using (var log = new JsonlUsageLedger(dir.Path))
        {
            await log.AppendAsync(Record("c", at));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"id\":\"c\"", lines[2]); // c is whole, not glued to the torn line

        await using var reader = new JsonlUsageLedger(dir.Path);
        var error = await Assert.ThrowsAsync<UsageLogFormatException>(() => reader.ReadAllAsync(UsageQuery.All).AsTask());
        Assert.Equal(2, error.LineNumber);
        Assert.Contains("truncated or corrupt", error.Message);
    }

    [Fact]
    public async Task As_a_second_sink_it_gets_every_record_the_engine_writes()
    {
        using var dir = new TempDirectory();
        var primary = new InMemoryUsageLedger();
        var (engine, _, _) = TestEngine.Create(o => o.Ledger = new CompositeUsageLedger(primary, [new JsonlUsageLedger(dir.Path)]));
        var policy = BudgetPolicy.Create("audit").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2).Build();
        await using (engine)
        {
            for (var i = 0; i < 3; i++)
            {
                try
                {
                    var r = await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10));
                    await engine.CommitAsync(r, new TokenUsage(5, 5));
                }
                catch (BudgetExceededException)
                {
                }
            }
        }
        await using var audit = new JsonlUsageLedger(dir.Path);
        var records = await audit.ReadAllAsync(UsageQuery.All);
        Assert.Equal(primary.Snapshot().Select(r => r.Id).Order(), records.Select(r => r.Id).Order());
        Assert.Equal(2, records.Count(r => r.Status == UsageStatus.Success));
        Assert.Equal(1, records.Count(r => r.Status == UsageStatus.Denied));
    }
}

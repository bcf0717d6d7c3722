using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>Usage records for the tests, and ledgers on the shared server in a schema of their own.</summary>
internal static class Records
{
    public static readonly DateTimeOffset Start = new(2025, 3, 20, 0, 0, 0, TimeSpan.Zero); // spans Europe's DST change on 30 March

    public static UsageRecord Record(DateTimeOffset at, string budget = "support", string? tenant = null, string provider = "openai", string model = "gpt-4o",
        long input = 1000, long output = 200, decimal cost = 0.0045m, UsageStatus status = UsageStatus.Success, string? id = null,
        IReadOnlyDictionary<string, string>? tags = null, string? conversation = null, string? run = null, string? priceVersion = "2025-01-01#test") => new()
    {
        Id = id ?? Guid.NewGuid().ToString("N"),
        Timestamp = at,
        Budget = budget,
        Tenant = tenant,
        Provider = provider,
        Model = model,
        InputTokens = status == UsageStatus.Denied ? 0 : input,
        OutputTokens = status == UsageStatus.Denied ? 0 : output,
        CachedInputTokens = status == UsageStatus.Denied ? 0 : input / 4,
        ReasoningTokens = status == UsageStatus.Denied ? 0 : output / 10,
        ReservedInputTokens = input + 7,
        ReservedOutputTokens = output * 2,
        ReservedCostUsd = cost * 2,
        CostUsd = status == UsageStatus.Denied ? 0 : cost,
        Status = status,
        Tags = tags ?? new Dictionary<string, string>(),
        ConversationId = conversation,
        RunId = run,
        PriceTableVersion = priceVersion,
    };

    /// <summary>Varied records over 40 days: budgets (one with spreadsheet-formula text), tenants, models, outcomes, tags, conversations, runs.</summary>
    public static List<UsageRecord> Generate(int count, int seed)
    {
        var random = new Random(seed);
        string[] budgets = ["support", "search", "=cmd|' /C calc'!A0"];
        string?[] tenants = ["acme", "globex", null, "initech"];
        (string, string)[] models = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("google", "gemini-2.5-pro")];
        var statuses = new[] { UsageStatus.Success, UsageStatus.Success, UsageStatus.Success, UsageStatus.Failed, UsageStatus.Denied, UsageStatus.Cancelled };
        var list = new List<UsageRecord>();
        for (var i = 0; i < count; i++)
        {
            var (provider, model) = models[random.Next(models.Length)];
            var at = Start.AddSeconds(random.Next(0, 40 * 24 * 3600)).AddTicks(random.Next(0, 10_000_000));
            var tags = random.Next(3) == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["category"] = random.Next(2) == 0 ? "billing" : "search \"quoted\"" };
            list.Add(Record(at, budgets[random.Next(budgets.Length)], tenants[random.Next(tenants.Length)], provider, model,
                random.Next(0, 50_000), random.Next(0, 4_000), Math.Round((decimal)random.NextDouble() * 0.25m, 9), statuses[random.Next(statuses.Length)],
                tags: tags, conversation: random.Next(4) == 0 ? null : "conv-" + random.Next(20), run: random.Next(5) == 0 ? "run-" + random.Next(3) : null,
                priceVersion: random.Next(2) == 0 ? "2025-01-01#aaaa" : "2025-02-01#bbbb"));
        }
        return list;
    }

    public static PostgreSqlLedgerOptions Options(PostgresServer server, string schema, string spillPath) => new()
    {
        ConnectionString = server.ConnectionString(),
        Schema = schema,
        SpillPath = spillPath,
    };

    public static async Task<long> ScalarAsync(PostgresServer server, string schema, string sql)
    {
        // No pooling: the tests restart servers, and a pooled connection would be a dead one.
        await using var connection = new NpgsqlConnection(server.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SET search_path TO \"{schema}\"; " + sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "guardedai-pg-tests", "files-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Waits for a condition (polling, never a sleep that fixes a race), failing after the timeout.</summary>
internal static class Until
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for: {what}{(describe is null ? "" : "\n" + describe())}");
            await Task.Delay(20);
        }
    }
}

internal sealed class RecordingSink : IBudgetAlertSink
{
    private readonly List<BudgetAlert> _alerts = new();

    public IReadOnlyList<BudgetAlert> Alerts { get { lock (_alerts) return _alerts.ToArray(); } }

    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        lock (_alerts) _alerts.Add(alert);
        return ValueTask.CompletedTask;
    }
}

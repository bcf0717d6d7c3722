using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary>
/// One ledger for the read-only command tests: January to 20 March 2025, two budgets, tenants, three providers,
/// every outcome, tags, and names that a spreadsheet would run as formulas. "Now" is <see cref="Now"/> (--now).
/// </summary>
public sealed class LedgerFixture : IDisposable
{
    public const string Now = "2025-03-20T12:00:00Z";
    private readonly TempDir _dir = new();

    public LedgerFixture()
    {
        Path = _dir.File("fixture.db");
        var random = new Random(11);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var end = DateTimeOffset.Parse(Now, System.Globalization.CultureInfo.InvariantCulture);
        string?[] tenants = ["acme", "globex", null, "=HYPERLINK(\"http://x\")", "+tenant", "-tenant", "@tenant", "\ttenant", "\rtenant", "comma, \"quoted\"\nline"];
        (string, string)[] models = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"), ("google", "gemini-2.5-pro")];
        var statuses = new[] { UsageStatus.Success, UsageStatus.Success, UsageStatus.Success, UsageStatus.Success, UsageStatus.Failed, UsageStatus.Denied, UsageStatus.Cancelled };
        var records = new List<UsageRecord>();
        for (var at = start; at < end; at = at.AddMinutes(37 + random.Next(30)))
        {
            var (provider, model) = models[random.Next(models.Length)];
            records.Add(Ledgers.Record(at, random.Next(3) == 0 ? "search" : "support", tenants[random.Next(tenants.Length)], provider, model,
                random.Next(10, 20_000), random.Next(0, 2_000), Math.Round((decimal)random.NextDouble() * 0.05m, 9), statuses[random.Next(statuses.Length)],
                tags: new Dictionary<string, string> { ["category"] = random.Next(2) == 0 ? "billing" : "search" }, conversation: "c" + random.Next(5), run: "r" + random.Next(2)));
        }
        // A spike for the anomaly view: a night hour three days ago.
        records.Add(Ledgers.Record(new DateTimeOffset(2025, 3, 17, 3, 20, 0, TimeSpan.Zero), "support", "acme", cost: 9.5m));
        Records = records;
        Ledgers.FillAsync(Path, records).GetAwaiter().GetResult();
        Settings = _dir.File("appsettings.json");
        File.WriteAllText(Settings, """
            {
              "GuardedAI": {
                "Budgets": {
                  "support": { "DailyCostUsd": 5, "MonthlyCostUsd": 60, "DailyRequests": 1000, "WarnAtPercent": 50, "CriticalAtPercent": 80, "TripAtPercent": 95 },
                  "search": { "MonthlyCostUsd": 1000 },
                  "quiet": { "MonthlyCostUsd": 10 }
                },
                "Tenants": { "acme": { "MonthlyCostUsd": 30 } },
                "Sqlite": { "Path": "ignored-by-the-tool.db" }
              }
            }
            """);
    }

    public string Path { get; }

    public string Settings { get; }

    public IReadOnlyList<UsageRecord> Records { get; }

    public void Dispose() => _dir.Dispose();
}

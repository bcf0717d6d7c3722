using System.Text.Json;
using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary><c>guardedai shadow</c>: what budgets in shadow would have denied, from the ledger's records.</summary>
public sealed class ShadowCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Counts_the_calls_each_shadow_scope_would_have_denied_with_their_cost_and_first_and_last()
    {
        var start = new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, 40).Select(i =>
        {
            var record = Ledgers.Record(start.AddMinutes(15 * i), tenant: i % 4 == 0 ? "acme" : null, cost: 0.02m, id: $"r{i:00}");
            return i switch
            {
                >= 30 => record with { WouldBeDeniedBy = "support,support-shadow", WouldBeDeniedReason = "Budget 'support' denied the call: … | Budget 'support-shadow' denied the call: …" },
                >= 20 => record with { WouldBeDeniedBy = "support-shadow", WouldBeDeniedReason = "Budget 'support-shadow' denied the call: …" },
                _ => record,
            };
        }).ToList();
        var db = _dir.File("ledger.db");
        await Ledgers.FillAsync(db, records);

        var json = await Tool.RunAsync("shadow", "--db", db, "--from", "2026-06-01", "--to", "2026-06-02", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        Assert.Equal(40, doc.RootElement.GetProperty("calls").GetInt64());
        Assert.Equal(20, doc.RootElement.GetProperty("wouldBeDenied").GetInt64()); // calls, each counted once
        var scopes = doc.RootElement.GetProperty("scopes").EnumerateArray().ToDictionary(s => s.GetProperty("scope").GetString()!);
        Assert.Equal(20, scopes["support-shadow"].GetProperty("wouldBeDenied").GetInt64());
        Assert.Equal(10, scopes["support"].GetProperty("wouldBeDenied").GetInt64());
        Assert.Equal(20 * 0.02m, scopes["support-shadow"].GetProperty("costUsd").GetDecimal());
        Assert.Equal(start.AddMinutes(15 * 20), DateTimeOffset.Parse(scopes["support-shadow"].GetProperty("first").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(start.AddMinutes(15 * 39), DateTimeOffset.Parse(scopes["support"].GetProperty("last").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(5, scopes["support-shadow"].GetProperty("tenants").GetProperty("acme").GetInt64());

        var table = await Tool.RunAsync("shadow", "--db", db, "--from", "2026-06-01", "--to", "2026-06-02");
        Assert.Contains("20 would have been denied", table.Output);
        var csv = Rfc4180.Table((await Tool.RunAsync("shadow", "--db", db, "--from", "2026-06-01", "--to", "2026-06-02", "--format", "csv")).Output);
        Assert.Equal(["support-shadow", "support"], csv.Rows.Select(r => r["scope"]));
    }
}

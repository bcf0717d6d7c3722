using System.Diagnostics;
using System.Text.Json;
using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary>status, forecast, anomalies and pricing in every format; help and argument errors of every command.</summary>
public sealed class ViewCommandTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Status_shows_a_bar_per_limit_with_thresholds_breakers_and_resets_in_every_format()
    {
        var table = await Tool.RunAsync("status", "--db", ledger.Path, "--config", ledger.Settings, "--now", LedgerFixture.Now);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("daily cost", table.Output);
        Assert.Contains("|", table.Output);
        Assert.Matches(@"\[[#.|]{30}\]", table.Output); // the ASCII bar of plain output
        Assert.Contains("quiet", table.Output); // a budget of the settings without usage
        Assert.Contains("closed", table.Output);

        var json = await Tool.RunAsync("status", "--db", ledger.Path, "--config", ledger.Settings, "--now", LedgerFixture.Now, "--format", "json");
        using var doc = JsonDocument.Parse(json.Output);
        var support = doc.RootElement.GetProperty("scopes").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "support" && s.GetProperty("kind").GetString() == "budget");
        var monthly = support.GetProperty("limits").EnumerateArray().Single(l => l.GetProperty("window").GetString() == "Month" && l.GetProperty("dimension").GetString() == "CostUsd");
        var where = $"budget = 'support' AND status <> 2 AND ts_ticks >= {new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks} AND ts_ticks < {DateTimeOffset.Parse(LedgerFixture.Now, System.Globalization.CultureInfo.InvariantCulture).UtcTicks}";
        Assert.Equal(Ledgers.SumCost(ledger.Path, where), monthly.GetProperty("used").GetDecimal());
        Assert.Equal(80, monthly.GetProperty("criticalAtPercent").GetDouble());
        Assert.Equal(12 * 24 * 3600 - 12 * 3600, monthly.GetProperty("resetsInSeconds").GetInt64());
        Assert.Contains(doc.RootElement.GetProperty("scopes").EnumerateArray(), s => s.GetProperty("kind").GetString() == "tenant" && s.GetProperty("name").GetString() == "acme");

        var csv = await Tool.RunAsync("status", "--db", ledger.Path, "--config", ledger.Settings, "--now", LedgerFixture.Now, "--format", "csv");
        var rows = Rfc4180.Table(csv.Output);
        Assert.Contains(rows.Rows, r => r["name"] == "support" && r["window"] == "Day" && r["dimension"] == "CostUsd");

        var plain = await Tool.RunAsync("status", "--db", ledger.Path, "--now", LedgerFixture.Now);
        Assert.Contains("This month USD", plain.Output);
        Assert.Contains("--config", plain.Output);
    }

    [Fact]
    public async Task Status_watch_refreshes_until_stopped()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Tool.Dll, "status", "--db", ledger.Path, "--watch", "--interval", "1", "--format", "json" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var views = 0;
        while (views < 2 && await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("  \"at\":", StringComparison.Ordinal)) views++;
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        Assert.Equal(2, views);
    }

    [Fact]
    public async Task Forecast_projects_each_budget_and_tenant_and_names_limits_in_every_format()
    {
        var json = await Tool.RunAsync("forecast", "--db", ledger.Path, "--config", ledger.Settings, "--now", LedgerFixture.Now, "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        var forecasts = doc.RootElement.GetProperty("forecasts").EnumerateArray().ToList();
        var support = forecasts.Single(f => f.GetProperty("kind").GetString() == "budget" && f.GetProperty("name").GetString() == "support");
        Assert.Equal("trend", support.GetProperty("method").GetString());
        Assert.True(support.GetProperty("projectedMonthEnd").GetProperty("costUsd").GetDecimal() > support.GetProperty("monthToDate").GetProperty("costUsd").GetDecimal());
        Assert.Contains(support.GetProperty("limits").EnumerateArray(), l => l.GetProperty("window").GetString() == "Month");
        Assert.Contains(forecasts, f => f.GetProperty("kind").GetString() == "tenant" && f.GetProperty("name").GetString() == "acme");

        var table = await Tool.RunAsync("forecast", "--db", ledger.Path, "--config", ledger.Settings, "--now", LedgerFixture.Now);
        Assert.Contains("monthly cost", table.Output);
        var csv = await Tool.RunAsync("forecast", "--db", ledger.Path, "--now", LedgerFixture.Now, "--format", "csv");
        Assert.Contains(Rfc4180.Table(csv.Output).Rows, r => r["name"] == "search");
    }

    [Fact]
    public async Task Anomalies_finds_the_spike_in_every_format()
    {
        var json = await Tool.RunAsync("anomalies", "--db", ledger.Path, "--now", LedgerFixture.Now, "--days", "7", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        var anomalies = doc.RootElement.GetProperty("anomalies").EnumerateArray().ToList();
        Assert.Contains(anomalies, a => a.GetProperty("scope").GetString() == "support" && a.GetProperty("hour").GetString() == "2025-03-17T03:00:00Z");

        var tenants = await Tool.RunAsync("anomalies", "--db", ledger.Path, "--now", LedgerFixture.Now, "--by", "tenant", "--format", "csv");
        Assert.Contains(Rfc4180.Table(tenants.Output).Rows, r => r["scope"] == "acme" && r["hour"] == "2025-03-17T03:00:00Z");
        var table = await Tool.RunAsync("anomalies", "--db", ledger.Path, "--now", LedgerFixture.Now);
        Assert.Contains("2025-03-17 03:00", table.Output);
        var bad = await Tool.RunAsync("anomalies", "--db", ledger.Path, "--days", "0");
        Assert.Equal(64, bad.ExitCode);
        Assert.Contains("--days", bad.Error);
    }

    [Fact]
    public async Task Pricing_shows_the_price_and_table_the_engine_would_use()
    {
        var json = await Tool.RunAsync("pricing", "--model", "gpt-4o-2024-08-06", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Output);
        var price = doc.RootElement.GetProperty("prices")[0];
        var expected = PriceCatalog.CreateDefault().Resolve("gpt-4o-2024-08-06");
        Assert.Equal(expected.ResolvedModel, price.GetProperty("resolvedTo").GetString());
        Assert.Equal(expected.Price.InputPerMillion, price.GetProperty("inputPerMillion").GetDecimal());
        Assert.Equal(PriceTableVersion.Of(PriceCatalog.CreateDefault()), doc.RootElement.GetProperty("priceTable").GetString());

        var unknown = await Tool.RunAsync("pricing", "--model", "my-private-llm");
        Assert.Contains("unknown: default price", unknown.Output);

        var file = _dir.File("litellm.json");
        File.WriteAllText(file, """{ "my-private-llm": { "input_cost_per_token": 0.000001, "output_cost_per_token": 0.000004, "litellm_provider": "custom", "mode": "chat" } }""");
        var withFile = await Tool.RunAsync("pricing", "--model", "my-private-llm", "--file", file, "--format", "csv");
        var row = Assert.Single(Rfc4180.Table(withFile.Output).Rows);
        Assert.Equal("1", row["input_per_million"].TrimEnd('0').TrimEnd('.'));
        Assert.NotEqual(PriceTableVersion.Of(PriceCatalog.CreateDefault()), row["price_table"]);

        var broken = _dir.File("broken.json");
        File.WriteAllText(broken, "{ not json");
        Assert.Equal(3, (await Tool.RunAsync("pricing", "--file", broken)).ExitCode);
        Assert.True((await Tool.RunAsync("pricing")).Output.Split('\n').Length > 50);
    }

    public static TheoryData<string> Commands => new()
    {
        "status", "report", "export", "forecast", "anomalies", "breaker", "breaker trip", "breaker reset", "emergency-stop", "resume", "reset", "health", "import", "pricing",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help_text(string command)
    {
        var run = await Tool.RunAsync([.. command.Split(' '), "--help"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Output);
        Assert.Contains("Description:", run.Output);
        Assert.Contains("--db", run.Output);
    }

    [Theory]
    [InlineData("report --from yesterday-ish", "--from")]
    [InlineData("report --tz Mars/Olympus", "--tz")]
    [InlineData("report --format xml", "--format")]
    [InlineData("report --by colour", "--by")]
    [InlineData("report --by tag", "--by")]
    [InlineData("report --to 2025-01-01", "--to")]
    [InlineData("status --interval 0", "--interval")]
    [InlineData("breaker trip --budget support", "--reason")]
    [InlineData("breaker trip --reason x", "--budget")]
    [InlineData("breaker trip --budget a --tenant b --reason x", "--tenant")]
    [InlineData("report --connection Host=db.example;Database=ledger", "--connection")]
    [InlineData("frobnicate", "frobnicate")]
    public async Task Argument_errors_name_the_argument_and_exit_64(string arguments, string named)
    {
        var run = await Tool.RunAsync([.. arguments.Split(' '), "--db", ledger.Path]);
        Assert.Equal(64, run.ExitCode);
        Assert.Contains(named, run.Error);
        Assert.StartsWith("error:", run.Error);
    }

    [Fact]
    public async Task Without_a_ledger_the_tool_says_how_to_name_one_and_a_missing_file_is_unreachable()
    {
        var none = await Tool.RunAsync("report");
        Assert.Equal(64, none.ExitCode);
        Assert.Contains("--db", none.Error);
        var fromEnvironment = await Tool.RunAsync(["report", "--format", "json"], environment: new Dictionary<string, string?> { ["GUARDEDAI_DB"] = ledger.Path });
        Assert.Equal(0, fromEnvironment.ExitCode);
        var connection = await Tool.RunAsync("report", "--connection", $"Data Source={ledger.Path}", "--format", "json");
        Assert.Equal(0, connection.ExitCode);
        var missing = await Tool.RunAsync("report", "--db", _dir.File("none.db"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("none.db", missing.Error);
    }
}

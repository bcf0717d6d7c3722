using System.Globalization;
using System.Text.Json;
using GuardedAI.Cli.Tests.Support;

namespace GuardedAI.Cli.Tests.Cli;

/// <summary><c>report</c> and <c>export</c> as processes: sums equal the ledger's exactly, in every format; the bill parses as RFC 4180.</summary>
public sealed class ReportAndExportTests(LedgerFixture ledger) : IClassFixture<LedgerFixture>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long Ticks(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture).UtcTicks;

    [Fact]
    public async Task Report_json_totals_equal_the_ledgers_records_exactly()
    {
        var run = await Tool.RunAsync("report", "--db", ledger.Path, "--from", "2025-02-01", "--to", "2025-02-28", "--format", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        var totals = json.RootElement.GetProperty("totals");
        var where = $"ts_ticks >= {Ticks("2025-02-01T00:00:00Z")} AND ts_ticks < {Ticks("2025-03-01T00:00:00Z")}";
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT count(*) FROM usage_records WHERE " + where), totals.GetProperty("requests").GetInt64());
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT sum(input_tokens) FROM usage_records WHERE " + where), totals.GetProperty("inputTokens").GetInt64());
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT sum(output_tokens) FROM usage_records WHERE " + where), totals.GetProperty("outputTokens").GetInt64());
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT count(*) FROM usage_records WHERE status = 2 AND " + where), totals.GetProperty("denied").GetInt64());
        Assert.Equal(Ledgers.SumCost(ledger.Path, where), totals.GetProperty("costUsd").GetDecimal());
        Assert.Equal("2025-02-01..2025-02-28", json.RootElement.GetProperty("period").GetString());
    }

    [Fact]
    public async Task Report_by_model_in_csv_parses_and_its_rows_sum_to_the_ledger()
    {
        var run = await Tool.RunAsync("report", "--db", ledger.Path, "--period", "month", "--previous", "--now", LedgerFixture.Now, "--by", "provider,model", "--bucket", "week", "--format", "csv");

        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = ParseCsv(run.Output);
        Assert.Equal(["bucket", "provider", "model", "requests"], rows.Header.Take(4));
        var where = $"ts_ticks >= {Ticks("2025-02-01T00:00:00Z")} AND ts_ticks < {Ticks("2025-03-01T00:00:00Z")}";
        Assert.Equal(Ledgers.SumCost(ledger.Path, where), rows.Rows.Sum(r => decimal.Parse(r["cost_usd"], CultureInfo.InvariantCulture)));
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT count(*) FROM usage_records WHERE " + where), rows.Rows.Sum(r => long.Parse(r["requests"], CultureInfo.InvariantCulture)));
        Assert.Contains(rows.Rows, r => r["model"] == "claude-sonnet-4-5" && r["provider"] == "anthropic");
    }

    [Theory]
    [InlineData("tenant")]
    [InlineData("tag:category")]
    [InlineData("conversation")]
    [InlineData("run")]
    [InlineData("budget")]
    public async Task Report_groups_by_every_dimension_in_a_table(string by)
    {
        var run = await Tool.RunAsync("report", "--db", ledger.Path, "--from", "2025-01-01", "--to", "2025-03-31", "--by", by, "--format", "table");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("TOTAL", run.Output);
        Assert.Contains(Fmt(Ledgers.SumCost(ledger.Path)), run.Output);
        Assert.Contains("Estimates on", run.Output);
    }

    [Fact]
    public async Task Report_reprices_a_period_with_another_table_and_shows_the_difference()
    {
        var file = _dir.File("litellm.json");
        File.WriteAllText(file, """{ "gpt-4o": { "input_cost_per_token": 0.00001, "output_cost_per_token": 0.00002, "litellm_provider": "openai", "mode": "chat" } }""");
        var run = await Tool.RunAsync("report", "--db", ledger.Path, "--from", "2025-03-01", "--to", "2025-03-19", "--reprice", file, "--format", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        var repriced = json.RootElement.GetProperty("repriced");
        var where = $"ts_ticks >= {Ticks("2025-03-01T00:00:00Z")} AND ts_ticks < {Ticks("2025-03-20T00:00:00Z")} AND status <> 2";
        Assert.Equal(Ledgers.SumCost(ledger.Path, where), repriced.GetProperty("recordedCostUsd").GetDecimal());
        var gpt4o = repriced.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o");
        var tokens = (In: Ledgers.Scalar(ledger.Path, "SELECT sum(input_tokens) FROM usage_records WHERE model = 'gpt-4o' AND " + where),
            Out: Ledgers.Scalar(ledger.Path, "SELECT sum(output_tokens) FROM usage_records WHERE model = 'gpt-4o' AND " + where));
        Assert.Equal(tokens.In * 0.00001m + tokens.Out * 0.00002m, gpt4o.GetProperty("repricedCostUsd").GetDecimal());
    }

    [Fact]
    public async Task Export_writes_a_bill_whose_cost_column_sums_to_the_ledger_exactly_with_markup_and_neutralised_formulas()
    {
        var file = _dir.File("bill.csv");
        var run = await Tool.RunAsync("export", "--db", ledger.Path, "--out", file, "--period", "month", "--previous", "--now", LedgerFixture.Now, "--markup", "20", "--format", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var text = File.ReadAllText(file);
        Assert.StartsWith("Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD,Tenant,Period,Price Table Version,Markup Percent,Charge USD\r\n", text);
        var bill = ParseCsv(text);
        var where = $"ts_ticks >= {Ticks("2025-02-01T00:00:00Z")} AND ts_ticks < {Ticks("2025-03-01T00:00:00Z")} AND status <> 2";
        var ledgerCost = Ledgers.SumCost(ledger.Path, where);
        var billCost = bill.Rows.Sum(r => decimal.Parse(r["Cost USD"], CultureInfo.InvariantCulture));
        Assert.Equal(ledgerCost, billCost);
        Assert.Equal(Math.Round(ledgerCost, 2), Math.Round(billCost, 2));
        Assert.All(bill.Rows, r => Assert.Equal(decimal.Parse(r["Cost USD"], CultureInfo.InvariantCulture) * 1.2m, decimal.Parse(r["Charge USD"], CultureInfo.InvariantCulture)));
        Assert.All(bill.Rows, r => Assert.Equal("2025-02", r["Period"]));
        Assert.All(bill.Rows, r => Assert.Equal(long.Parse(r["Tokens In"], CultureInfo.InvariantCulture) + long.Parse(r["Tokens Out"], CultureInfo.InvariantCulture), long.Parse(r["Total Tokens"], CultureInfo.InvariantCulture)));
        Assert.Equal(Ledgers.Scalar(ledger.Path, "SELECT count(DISTINCT coalesce(tenant, '') || '|' || provider || '|' || model) FROM usage_records WHERE " + where), bill.Rows.Count);
        Assert.Contains(bill.Rows, r => r["Price Table Version"] == "2025-01-01#test");

        // Every tenant that would start a formula is neutralised with a leading apostrophe, and survives the round trip.
        var tenants = bill.Rows.Select(r => r["Tenant"]).Distinct().ToList();
        foreach (var dangerous in new[] { "=HYPERLINK(\"http://x\")", "+tenant", "-tenant", "@tenant", "\ttenant", "\rtenant" }) Assert.Contains("'" + dangerous, tenants);
        Assert.Contains("comma, \"quoted\"\nline", tenants);
        Assert.DoesNotContain(tenants, t => t.Length > 0 && t[0] is '=' or '+' or '-' or '@' or '\t' or '\r');

        using var summary = JsonDocument.Parse(run.Output);
        Assert.Equal(ledgerCost, summary.RootElement.GetProperty("costUsd").GetDecimal());
        Assert.Equal(ledgerCost * 1.2m, summary.RootElement.GetProperty("chargeUsd").GetDecimal());
    }

    [Fact]
    public async Task Export_for_one_tenant_and_its_argument_errors()
    {
        var file = _dir.File("acme.csv");
        var run = await Tool.RunAsync("export", "--db", ledger.Path, "--out", file, "--from", "2025-01-01", "--to", "2025-03-19", "--tenant", "acme");
        Assert.True(run.ExitCode == 0, run.ToString());
        var bill = ParseCsv(File.ReadAllText(file));
        Assert.All(bill.Rows, r => Assert.Equal("acme", r["Tenant"]));
        var where = $"tenant = 'acme' AND status <> 2 AND ts_ticks < {Ticks("2025-03-20T00:00:00Z")}";
        Assert.Equal(Ledgers.SumCost(ledger.Path, where), bill.Rows.Sum(r => decimal.Parse(r["Cost USD"], CultureInfo.InvariantCulture)));
        Assert.Contains("Wrote", run.Output);

        var badMarkup = await Tool.RunAsync("export", "--db", ledger.Path, "--out", file, "--markup", "-5");
        Assert.Equal(64, badMarkup.ExitCode);
        Assert.Contains("--markup", badMarkup.Error);
        var noOut = await Tool.RunAsync("export", "--db", ledger.Path);
        Assert.Equal(64, noOut.ExitCode);
        Assert.Contains("--out", noOut.Error);
        var backwards = await Tool.RunAsync("export", "--db", ledger.Path, "--out", file, "--from", "2025-03-01", "--to", "2025-02-01");
        Assert.Equal(64, backwards.ExitCode);
        Assert.Contains("--to", backwards.Error);
    }

    private static string Fmt(decimal value) => value.ToString("0.0000##########################", CultureInfo.InvariantCulture);

    internal static (string[] Header, List<Dictionary<string, string>> Rows) ParseCsv(string text) => Rfc4180.Table(text);
}

namespace GuardedAI.Tests;

public class ReportTests
{
    private static UsageRecord Record(string model, long input, long output, decimal cost, string? tenant = null, UsageStatus status = UsageStatus.Success, string provider = "openai") => new()
    {
        Id = Guid.NewGuid().ToString("N"), Timestamp = TestEngine.Start, Budget = "b", Tenant = tenant, Provider = provider, Model = model,
        InputTokens = input, OutputTokens = output, CostUsd = cost, Status = status,
    };

    [Fact]
    public void The_billing_summary_has_the_columns_billing_tools_expect()
    {
        var records = new[]
        {
            Record("gpt-4o", 3000, 1000, 0.0175m), Record("gpt-4o", 2000, 1000, 0.015m),
            Record("claude-sonnet-4-5", 10000, 5000, 0.105m, provider: "anthropic"),
            Record("gpt-4o", 999, 0, 0m, status: UsageStatus.Denied),
        };
        var csv = new StringWriter();

        UsageCsv.WriteBillingSummary(csv, records);

        Assert.Equal(
            "Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD\n" +
            "anthropic,claude-sonnet-4-5,10000,5000,15000,0.1050\n" +
            "openai,gpt-4o,5000,2000,7000,0.0325\n",
            csv.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Per_tenant_billing_and_cells_that_would_be_formulas_are_defused()
    {
        var csv = new StringWriter();
        UsageCsv.WriteBillingSummary(csv, [Record("=HYPERLINK(\"x\")", 1, 1, 0.5m, tenant: "acme, inc.")], perTenant: true);

        var line = csv.ToString().ReplaceLineEndings("\n").Split('\n')[1];
        Assert.Equal("\"acme, inc.\",openai,\"'=HYPERLINK(\"\"x\"\")\",1,1,2,0.5000", line);
    }

    [Fact]
    public void Forecast_projects_the_pace_so_far_to_the_end_of_the_window()
    {
        var limit = new BudgetLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 10m);
        var start = new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero);
        var usage = new LimitUsage("b", limit, 3m, start, start.AddDays(1));

        var atSix = BudgetForecast.Project(usage, start.AddHours(6)); // $3 in 6 h → $12 a day
        var atTwelve = BudgetForecast.Project(usage, start.AddHours(12)); // $3 in 12 h → $6 a day

        Assert.Equal(12m, atSix.ProjectedAtWindowEnd);
        Assert.Equal(start.AddHours(20), atSix.ExhaustedAt); // $7 left at $0.50 an hour
        Assert.Equal(6m, atTwelve.ProjectedAtWindowEnd);
        Assert.False(atTwelve.WillBeExhausted);
    }

    [Fact]
    public async Task Summaries_group_by_tag_and_the_last_row_is_the_total()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient(), engine, BudgetPolicy.Create("tags").ForModel("gpt-4o-mini").WithMaxOutputTokens(50).Build());
        foreach (var category in new[] { "billing", "billing", "search" })
            await client.GetResponseAsync("hi " + category, new ChatOptions { AdditionalProperties = new() { [BudgetChatClient.CategoryKey] = category } });

        var rows = UsageSummary.Build(engine.Ledger.Snapshot(), UsageSummary.ByTag("category"));

        Assert.Equal(["billing", "search", "TOTAL"], rows.Select(r => r.Key));
        Assert.Equal([2, 1, 3], rows.Select(r => r.Calls));
        Assert.Equal(rows[0].CostUsd + rows[1].CostUsd, rows[2].CostUsd);
        Assert.Contains("billing", UsageSummary.ToTable(rows, "Category"));
    }
}

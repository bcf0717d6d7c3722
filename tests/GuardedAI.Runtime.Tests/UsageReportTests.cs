namespace GuardedAI.Tests;

/// <summary>A provider's usage report is distrusted: it never lowers a counter, never overflows, and every correction is recorded and alerted.</summary>
public class UsageReportTests
{
    private static BudgetPolicy TokensPerDay(long limit) => BudgetPolicy.Create("daily").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, limit).WithMaxOutputTokens(100).Build();

    private static FakeChatClient Reporting(UsageDetails usage) => new() { Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = usage } };

    [Fact]
    public async Task A_negative_report_does_not_lower_the_counter_or_admit_more_than_the_limit()
    {
        var (engine, _, alerts) = TestEngine.Create();
        var policy = TokensPerDay(10_000);
        var liar = new BudgetChatClient(Reporting(new UsageDetails { InputTokenCount = -50_000, OutputTokenCount = 10 }), engine, policy);

        await liar.GetResponseAsync("hello");
        var used = (await engine.GetUsageAsync(policy)).Single().Used;

        Assert.True(used >= 10, $"the counter is {used}");
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(-50_000, record.ReportedInputTokens);
        Assert.Equal(0, record.InputTokens);
        Assert.Contains("input tokens reported as -50,000; counted as 0", record.Anomalies);
        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.UsageAnomaly && a.Scope == "daily" && a.Message.Contains("-50,000"));

        // The budget still holds 10,000 tokens in all: 4,000-token calls fit twice, not twelve times.
        var admitted = 0;
        for (var i = 0; i < 12; i++)
        {
            try
            {
                await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(3_900, 100)), new TokenUsage(3_900, 100));
                admitted++;
            }
            catch (BudgetExceededException) { }
        }
        Assert.Equal(2, admitted);
    }

    [Fact]
    public async Task Absurd_counts_are_clamped_to_a_plausible_ceiling_without_overflowing()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("costly").ForModel("gpt-4o-mini").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 1_000_000m)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Month, long.MaxValue / 2).WithMaxOutputTokens(100).Build();
        var client = new BudgetChatClient(Reporting(new UsageDetails { InputTokenCount = long.MaxValue, OutputTokenCount = long.MaxValue, TotalTokenCount = long.MinValue, CachedInputTokenCount = long.MaxValue, ReasoningTokenCount = long.MinValue }), engine, policy);

        await client.GetResponseAsync("hello");

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(ReportedUsageSanitizer.MaxPlausibleTokens, record.InputTokens);
        Assert.Equal(ReportedUsageSanitizer.MaxPlausibleTokens, record.OutputTokens);
        Assert.Equal(long.MaxValue, record.ReportedInputTokens);
        Assert.True(record.CostUsd > 0);
        Assert.All(await engine.GetUsageAsync(policy), usage => Assert.True(usage.Used > 0, $"{usage.Limit.Dimension} is {usage.Used}"));
    }

    [Fact]
    public async Task A_total_above_input_plus_output_counts_the_difference_as_output()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(Reporting(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 50, TotalTokenCount = 1_000 }), engine, TokensPerDay(100_000));

        await client.GetResponseAsync("hello");

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((100, 900), (record.InputTokens, record.OutputTokens));
        Assert.Equal((100, 50, 1_000), (record.ReportedInputTokens, record.ReportedOutputTokens, record.ReportedTotalTokens));
        Assert.Contains("total reported as 1,000", record.Anomalies);
    }

    [Fact]
    public async Task Cached_above_input_and_reasoning_above_output_raise_input_and_output()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(Reporting(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10, CachedInputTokenCount = 500, ReasoningTokenCount = 80 }), engine, TokensPerDay(100_000));

        await client.GetResponseAsync("hello");

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((500, 500), (record.InputTokens, record.CachedInputTokens));
        Assert.Equal((80, 80), (record.OutputTokens, record.ReasoningTokens));
        Assert.Equal((500, 80), (record.ReportedCachedInputTokens, record.ReportedReasoningTokens));
        Assert.Contains("cached", record.Anomalies);
        Assert.Contains("reasoning", record.Anomalies);
    }

    [Fact]
    public async Task A_stream_is_never_counted_below_what_arrived()
    {
        var (engine, _, _) = TestEngine.Create();
        var text = string.Join(' ', Enumerable.Range(0, 300).Select(i => "word" + i));
        var inner = new FakeChatClient
        {
            Stream = (_, _) =>
            [
                new ChatResponseUpdate(ChatRole.Assistant, text),
                new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 })] },
            ],
        };
        var client = new BudgetChatClient(inner, engine, BudgetPolicy.Create("stream").ForModel("gpt-4o-mini").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).Build());

        await foreach (var _ in client.GetStreamingResponseAsync("write")) { }

        var record = Assert.Single(engine.Ledger.Snapshot());
        var counted = engine.Tokenizers.ForModel("gpt-4o-mini").CountText(text);
        Assert.Equal(counted, record.OutputTokens);
        Assert.Equal(1, record.ReportedOutputTokens);
        Assert.Contains("GuardedAI counted", record.Anomalies);
    }

    [Fact]
    public async Task Usage_above_the_reservation_is_counted_in_full_recorded_and_alerted()
    {
        var (engine, _, alerts) = TestEngine.Create();
        var policy = TokensPerDay(1_000);
        var reservation = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 100));

        var record = await engine.CommitAsync(reservation, new TokenUsage(100, 1_500));

        Assert.Equal(1_600, (await engine.GetUsageAsync(policy)).Single().Used);
        Assert.Contains("were reserved", record!.Anomalies);
        await engine.Alerts.FlushAsync();
        // An overrun is the provider over-reporting its cap: alerted once as such, not again as a usage anomaly.
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.ProviderOverReport);
        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.UsageAnomaly);
    }

    [Fact]
    public async Task A_sound_report_has_no_anomaly_and_no_alert()
    {
        var (engine, _, alerts) = TestEngine.Create();
        var client = new BudgetChatClient(Reporting(new UsageDetails { InputTokenCount = 12, OutputTokenCount = 1, TotalTokenCount = 13 }), engine, TokensPerDay(100_000));

        await client.GetResponseAsync("hello");

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Null(record.Anomalies);
        Assert.Equal((12, 1, 13), (record.ReportedInputTokens, record.ReportedOutputTokens, record.ReportedTotalTokens));
        await engine.Alerts.FlushAsync();
        Assert.DoesNotContain(alerts.Alerts, a => a.Level == AlertLevel.UsageAnomaly);
    }
}

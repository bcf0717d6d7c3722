using CsCheck;

namespace GuardedAI.Tests;

/// <summary>
/// Random usage reports — negative, absurd, inconsistent, sound — thrown at the engine and at the middleware: within a
/// window a counter never decreases, and a counter passes its limit only through usage above the reservation that is
/// recorded on the call's usage record and alerted.
/// </summary>
public class UsageReportProperties
{
    private static readonly Gen<long> Count = Gen.Frequency(
        (6, Gen.Long[0, 5_000]),
        (1, Gen.Long[long.MinValue, -1]),
        (1, Gen.Long[ReportedUsageSanitizer.MaxPlausibleTokens, long.MaxValue]),
        (1, Gen.OneOf(0L, -1L, long.MaxValue, long.MinValue, ReportedUsageSanitizer.MaxPlausibleTokens + 1)));

    private static readonly Gen<long?> Total = Gen.Frequency((2, Gen.Const((long?)null)), (1, Count.Select(c => (long?)c)));

    private static readonly Gen<TokenUsage> Report = Gen.Select(Count, Count, Count, Count, Count, Total, Gen.Long[0, 3_000])
        .Select((input, output, cached, write, reasoning, total, counted) =>
            new TokenUsage(input, output, cached, write, reasoning) { ReportedTotalTokens = total, CountedOutputTokens = counted });

    private static readonly Gen<(long Input, long Output)> Request = Gen.Select(Gen.Long[1, 3_000], Gen.Long[1, 800]);

    private static BudgetPolicy Policy() => BudgetPolicy.Create("fuzzed").ForModel("claude-sonnet-4-5")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 40)
        .WithLimit(BudgetDimension.InputTokens, BudgetWindow.Day, 40_000)
        .WithLimit(BudgetDimension.OutputTokens, BudgetWindow.Day, 20_000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 50_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 0.5m)
        .WithThresholds(tripAtPercent: 100)
        .Build();

    [Fact]
    public async Task Engine_counters_never_decrease_and_pass_a_limit_only_through_a_recorded_and_alerted_overrun()
    {
        await Gen.Select(Request, Report).Array[1, 40].SampleAsync(async calls =>
        {
            var (engine, _, alerts) = TestEngine.Create();
            await using var _ = engine;
            var policy = Policy();
            var history = new CounterHistory(engine, policy);
            foreach (var ((input, output), report) in calls)
            {
                BudgetLease reservation;
                try
                {
                    reservation = await engine.ReserveAsync(policy, engine.Prices.ComputeCost(policy.Model, new TokenUsage(input, output)) is var cost
                        ? new UsageEstimate(policy.Model, input, output, cost) : default);
                }
                catch (BudgetExceededException)
                {
                    await history.CheckAsync(null, alerts);
                    continue;
                }
                var settled = await engine.CommitAsync(reservation, report, reportedByProvider: true);
                var record = engine.RecordOf(reservation);
                Assert.Equal((record.InputTokens, record.OutputTokens, record.CostUsd, record.Anomalies), (settled.InputTokens, settled.OutputTokens, settled.CostUsd, settled.Anomalies));
                await history.CheckAsync(record, alerts);
            }
        }, iter: 150, threads: 1);
    }

    [Fact]
    public async Task Middleware_counters_never_decrease_and_pass_a_limit_only_through_a_recorded_and_alerted_overrun()
    {
        var details = Gen.Select(Count.Nullable(0.3), Count.Nullable(0.3), Count.Nullable(0.5), Count.Nullable(0.6), Count.Nullable(0.6), Gen.Bool)
            .Select((input, output, total, cached, reasoning, stream) => (Usage: new UsageDetails
            {
                InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = total, CachedInputTokenCount = cached, ReasoningTokenCount = reasoning,
            }, Stream: stream));
        await Gen.Select(details, Gen.Int[0, 400]).Array[1, 25].SampleAsync(async calls =>
        {
            var (engine, _, alerts) = TestEngine.Create();
            await using var _ = engine;
            var policy = Policy();
            var history = new CounterHistory(engine, policy);
            foreach (var ((usage, stream), words) in calls)
            {
                var text = string.Join(' ', Enumerable.Range(0, words).Select(i => "w" + i));
                var inner = new FakeChatClient
                {
                    Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = usage },
                    Stream = (_, _) => [new ChatResponseUpdate(ChatRole.Assistant, text), new ChatResponseUpdate { Contents = [new UsageContent(usage)] }],
                };
                var client = new BudgetChatClient(inner, engine, policy);
                try
                {
                    if (stream) await foreach (var update in client.GetStreamingResponseAsync("write something", new ChatOptions { MaxOutputTokens = 500 })) { }
                    else await client.GetResponseAsync("write something", new ChatOptions { MaxOutputTokens = 500 });
                }
                catch (BudgetExceededException)
                {
                    await history.CheckAsync(null, alerts);
                    continue;
                }
                await history.CheckAsync(engine.Ledger.Snapshot()[^1], alerts);
            }
        }, iter: 60, threads: 1);
    }

    /// <summary>Reads every counter after each call and checks it against the previous reading and its limit.</summary>
    private sealed class CounterHistory(BudgetEngine engine, BudgetPolicy policy)
    {
        private decimal[]? _previous;

        public async Task CheckAsync(UsageRecord? settled, RecordingAlertSink alerts)
        {
            var usage = await engine.GetUsageAsync(policy);
            var now = usage.Select(u => u.Used).ToArray();
            for (var i = 0; i < now.Length; i++)
            {
                var limit = usage[i].Limit;
                if (now[i] < 0) throw new Exception($"{limit.Dimension} went negative: {now[i]}");
                if (_previous is not null && now[i] < _previous[i]) throw new Exception($"{limit.Dimension} decreased from {_previous[i]} to {now[i]}");
                var crossed = now[i] > limit.Amount && (_previous is null || _previous[i] <= limit.Amount);
                if (!crossed) continue;
                if (settled?.Anomalies is not { } anomalies || !anomalies.Contains("were reserved", StringComparison.Ordinal))
                    throw new Exception($"{limit.Dimension} passed its limit ({now[i]} > {limit.Amount}) without a recorded overrun: {settled?.Anomalies ?? "no record"}");
                await engine.Alerts.FlushAsync();
                // A provider's over-report is alerted as such; an overrun GuardedAI counted (or corrected) as a usage anomaly.
                if (!alerts.Alerts.Any(a => a.Level is AlertLevel.UsageAnomaly or AlertLevel.ProviderOverReport && a.Scope == policy.Name))
                    throw new Exception($"{limit.Dimension} passed its limit without a usage-anomaly or over-report alert");
            }
            _previous = now;
        }
    }
}

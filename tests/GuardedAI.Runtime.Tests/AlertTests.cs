namespace GuardedAI.Tests;

public class AlertTests
{
    [Fact]
    public async Task Each_threshold_alerts_once_per_window_and_again_in_the_next()
    {
        var (engine, clock, alerts) = TestEngine.Create();
        var policy = BudgetPolicy.Create("alerts").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 10).WithThresholds(tripAtPercent: 100).Build();

        for (var i = 0; i < 9; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        await engine.Alerts.FlushAsync();
        Assert.Equal([AlertLevel.Warning, AlertLevel.Critical], alerts.Alerts.Select(a => a.Level));
        Assert.Equal(70.0, alerts.Alerts[0].Percent);
        Assert.Contains("hourly requests at 70%", alerts.Alerts[0].Message);

        clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 7; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        await engine.Alerts.FlushAsync();
        Assert.Equal([AlertLevel.Warning, AlertLevel.Critical, AlertLevel.Warning], alerts.Alerts.Select(a => a.Level));
    }

    [Fact]
    public async Task A_slow_sink_never_slows_a_call()
    {
        var gate = new TaskCompletionSource();
        var slow = new BlockingSink(gate.Task);
        var (engine, _, _) = TestEngine.Create(o => { o.AlertSinks.Add(slow); o.Alerts.ProjectExceedance = false; });
        var policy = BudgetPolicy.Create("slow").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();

        // 8 calls cross warn and critical while the sink is blocked: they all complete.
        for (var i = 0; i < 8; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        Assert.Equal(0, slow.Delivered);

        gate.SetResult();
        await engine.Alerts.FlushAsync();
        Assert.Equal(1, slow.Delivered); // only the warning: 8/10 = 80%
    }

    [Fact]
    public async Task A_failing_sink_does_not_stop_the_others()
    {
        var recorder = new RecordingAlertSink();
        var (engine, _, _) = TestEngine.Create(o => { o.AlertSinks.Insert(0, new ThrowingSink()); o.AlertSinks.Add(recorder); });
        var policy = BudgetPolicy.Create("throws").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build();

        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        await engine.Alerts.FlushAsync();

        Assert.Contains(recorder.Alerts, a => a.Level == AlertLevel.Emergency);
    }

    private sealed class BlockingSink(Task gate) : IBudgetAlertSink
    {
        public int Delivered;
        public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
        {
            await gate;
            Interlocked.Increment(ref Delivered);
        }
    }

    private sealed class ThrowingSink : IBudgetAlertSink
    {
        public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) => throw new InvalidOperationException("sink down");
    }
}

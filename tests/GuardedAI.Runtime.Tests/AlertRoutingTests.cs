namespace GuardedAI.Tests;

/// <summary>Routing per level, digests, and sinks that hang or fail.</summary>
public class AlertRoutingTests
{
    private sealed class NamedSink(string name, int signalAt = int.MaxValue) : IBudgetAlertSink
    {
        private readonly List<BudgetAlert> _alerts = new();
        public readonly TaskCompletionSource Reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Name => name;
        public IReadOnlyList<BudgetAlert> Alerts { get { lock (_alerts) return _alerts.ToArray(); } }
        public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
        {
            lock (_alerts)
            {
                _alerts.Add(alert);
                if (_alerts.Count(a => a.ThresholdPercent is not null) >= signalAt) Reached.TrySetResult();
            }
            return ValueTask.CompletedTask;
        }
    }

    private sealed class HangingSink(string name) : IBudgetAlertSink
    {
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource WasCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Cancelled;
        public string Name => name;
        public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            try { await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken); }
            catch (OperationCanceledException) { Interlocked.Increment(ref Cancelled); WasCancelled.TrySetResult(); throw; }
        }
    }

    [Fact]
    public async Task Each_level_goes_where_its_route_says_and_unrouted_levels_go_everywhere()
    {
        var chat = new NamedSink("chat");
        var mail = new NamedSink("mail");
        var (engine, _, _) = TestEngine.Create(o =>
        {
            o.AlertSinks.Clear();
            o.AlertSinks.Add(chat);
            o.AlertSinks.Add(mail);
            o.Alerts.Routes[AlertLevel.Warning] = ["chat"];
            o.Alerts.Routes[AlertLevel.Critical] = ["chat", "mail"];
            o.Alerts.ProjectExceedance = false;
        });
        var policy = BudgetPolicy.Create("routed").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).WithThresholds(tripAtPercent: 100).Build();

        for (var i = 0; i < 9; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        engine.Breakers.Get("routed").Trip("by hand", TimeSpan.FromMinutes(1)); // BreakerOpened has no route: everywhere
        await engine.Alerts.FlushAsync();

        Assert.Equal([AlertLevel.Warning, AlertLevel.Critical, AlertLevel.BreakerOpened], chat.Alerts.Select(a => a.Level));
        Assert.Equal([AlertLevel.Critical, AlertLevel.BreakerOpened], mail.Alerts.Select(a => a.Level));
    }

    [Fact]
    public void A_route_to_a_sink_that_does_not_exist_fails_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => TestEngine.Create(o => o.Alerts.Routes[AlertLevel.Critical] = ["pager"]));
        Assert.Contains("'pager'", error.Message);
        Assert.Contains("Critical", error.Message);
    }

    [Fact]
    public void A_route_for_a_level_that_does_not_exist_fails_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => TestEngine.Create(o => o.Alerts.Routes[(AlertLevel)(-3)] = ["recording"]));
        Assert.Contains("level -3", error.Message);
    }

    [Fact]
    public async Task A_digest_batches_warnings_per_sink_and_sends_them_as_one_alert_each_interval()
    {
        var chat = new NamedSink("chat");
        var (engine, clock, _) = TestEngine.Create(o =>
        {
            o.AlertSinks.Clear();
            o.AlertSinks.Add(chat);
            o.Alerts.DigestInterval = TimeSpan.FromMinutes(15);
            o.Alerts.ProjectExceedance = false;
        });
        foreach (var name in new[] { "a", "b", "c" })
        {
            var policy = BudgetPolicy.Create(name).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).WithThresholds(tripAtPercent: 100).Build();
            for (var i = 0; i < 9; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        }
        await engine.Alerts.FlushAsync();
        Assert.Equal(3, chat.Alerts.Count(a => a.Level == AlertLevel.Critical)); // critical is not digested
        Assert.DoesNotContain(chat.Alerts, a => a.Level == AlertLevel.Warning);

        clock.Advance(TimeSpan.FromMinutes(15));
        await engine.Alerts.FlushAsync();

        var digest = Assert.Single(chat.Alerts, a => a.Level == AlertLevel.Digest);
        Assert.Equal(["a", "b", "c"], digest.Items.Select(i => i.Scope));
        Assert.All(digest.Items, i => Assert.Equal(AlertLevel.Warning, i.Level));
        Assert.Contains("3 GuardedAI alert(s)", digest.Message);
    }

    [Fact]
    public async Task A_sink_that_hangs_delays_neither_a_call_nor_another_sink_and_is_cancelled_after_the_send_timeout()
    {
        var hanging = new HangingSink("stuck");
        var chat = new NamedSink("chat", signalAt: 6);
        var (engine, clock, _) = TestEngine.Create(o =>
        {
            o.AlertSinks.Clear();
            o.AlertSinks.Add(hanging);
            o.AlertSinks.Add(chat);
            o.Alerts.SendTimeout = TimeSpan.FromSeconds(30);
        });
        var policy = BudgetPolicy.Create("hang").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).WithAlertLevels(10, 20, 30, 40, 50).Build();

        // The first alert reaches the hanging sink; every call after that completes while it hangs.
        await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        for (var i = 0; i < 9; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));
        await hanging.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 60; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(1, 1)), new TokenUsage(1, 1));

        // The other sink got every alert meanwhile.
        await chat.Reached.Task.WaitAsync(TimeSpan.FromSeconds(10)); // 10, 20, 30, 40, 50 and 70 (warn)
        Assert.Equal(0, hanging.Cancelled);

        clock.Advance(TimeSpan.FromSeconds(30)); // the send timeout (on the engine's clock) cancels the hanging send
        await hanging.WasCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, hanging.Cancelled);
    }
}

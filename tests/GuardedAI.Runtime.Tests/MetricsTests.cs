using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GuardedAI.Tests;

/// <summary>The instruments, read with Microsoft.Extensions.Diagnostics.Testing's collector, against the calls made.</summary>
public class MetricsTests
{
    private static (BudgetEngine Engine, FakeTimeProvider Clock, IMeterFactory Meters, ServiceProvider Services) Create()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var (engine, clock, _) = TestEngine.Create(o => { o.MeterFactory = meters; o.Alerts.ProjectExceedance = false; });
        return (engine, clock, meters, services);
    }

    private static IChatClient Guarded(BudgetEngine engine, BudgetPolicy policy, FakeChatClient inner) =>
        new ChatClientBuilder(inner).UseBudget(engine, policy).Build();

    [Fact]
    public async Task Token_usage_and_duration_follow_the_genai_conventions()
    {
        var (engine, clock, meters, services) = Create();
        await using var _ = services;
        using var tokens = new MetricCollector<long>(meters, GuardedAITelemetry.MeterName, "gen_ai.client.token.usage");
        using var duration = new MetricCollector<double>(meters, GuardedAITelemetry.MeterName, "gen_ai.client.operation.duration");
        var inner = new FakeChatClient
        {
            Respond = (_, _) =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(1500)); // the provider takes 1.5 s
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi")) { ModelId = "gpt-4o-mini-2024-07-18", Usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 30 } };
            },
        };
        var client = Guarded(engine, BudgetPolicy.Create("metered").ForModel("gpt-4o-mini").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build(), inner);

        await client.GetResponseAsync("hello");
        inner.Throw = new TimeoutException("provider timed out");
        await Assert.ThrowsAsync<TimeoutException>(() => client.GetResponseAsync("again"));

        var usage = tokens.GetMeasurementSnapshot();
        var input = Assert.Single(usage, m => (string?)m.Tags["gen_ai.token.type"] == "input" && m.Tags.ContainsKey("gen_ai.response.model"));
        Assert.Equal(120, input.Value);
        Assert.Equal("chat", input.Tags["gen_ai.operation.name"]);
        Assert.Equal("fake", input.Tags["gen_ai.provider.name"]);
        Assert.Equal("gpt-4o-mini", input.Tags["gen_ai.request.model"]);
        Assert.Equal("gpt-4o-mini-2024-07-18", input.Tags["gen_ai.response.model"]);
        Assert.Equal(30, Assert.Single(usage, m => (string?)m.Tags["gen_ai.token.type"] == "output" && m.Tags.ContainsKey("gen_ai.response.model")).Value);

        var durations = duration.GetMeasurementSnapshot();
        Assert.Equal(2, durations.Count);
        Assert.Equal(1.5, durations[0].Value, 3);
        Assert.False(durations[0].Tags.ContainsKey("error.type"));
        Assert.Equal("System.TimeoutException", durations[1].Tags["error.type"]);
        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.Equal("{token}", tokens.Instrument!.Unit);
    }

    [Fact]
    public async Task Cost_utilisation_reservations_and_denials_are_counted_as_they_happen()
    {
        var (engine, _, meters, services) = Create();
        await using var _ = services;
        using var cost = new MetricCollector<double>(meters, GuardedAITelemetry.MeterName, "guardedai.cost");
        using var utilization = new MetricCollector<double>(meters, GuardedAITelemetry.MeterName, "guardedai.budget.utilization");
        using var active = new MetricCollector<long>(meters, GuardedAITelemetry.MeterName, "guardedai.reservations.active");
        using var denials = new MetricCollector<long>(meters, GuardedAITelemetry.MeterName, "guardedai.denials");
        using var estimateError = new MetricCollector<double>(meters, GuardedAITelemetry.MeterName, "guardedai.estimate.error");
        var policy = BudgetPolicy.Create("costly").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 4).Build();

        var held = await engine.ReserveAsync(policy, TestEngine.Estimate(1000, 100, 0.01m));
        Assert.Equal(1, active.GetMeasurementSnapshot().Sum(m => m.Value));
        await held.CommitAsync(new TokenUsage(1_100_000, 0)); // gpt-4o-mini: $0.15 per 1M input
        Assert.Equal(0, active.GetMeasurementSnapshot().Sum(m => m.Value));
        for (var i = 0; i < 3; i++) await engine.CommitAsync(await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10)), new TokenUsage(10, 10));
        var denied = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10));
        Assert.False(denied.IsAcquired);

        var spent = Assert.Single(cost.GetMeasurementSnapshot(), m => m.Value > 0.1);
        Assert.Equal(0.165, spent.Value, 6);
        Assert.Equal("USD", spent.Tags["gen_ai.usage.cost.currency"]);
        Assert.Equal("local", spent.Tags["gen_ai.usage.cost.source"]);
        Assert.Equal("costly", spent.Tags["guardedai.budget"]);
        var last = utilization.LastMeasurement!;
        Assert.Equal(1.0, last.Value); // 4 of 4
        Assert.Equal("requests", last.Tags["guardedai.dimension"]);
        Assert.Equal("day", last.Tags["guardedai.window"]);
        Assert.Equal("hard", last.Tags["guardedai.limit.kind"]);
        var denial = Assert.Single(denials.GetMeasurementSnapshot());
        Assert.Equal("breaker_open", denial.Tags["guardedai.denial.kind"]); // 4 of 4 passed the trip threshold
        Assert.Equal("requests", denial.Tags["guardedai.dimension"]);
        Assert.Equal((1_100_000 - 1000) / 1000.0, estimateError.GetMeasurementSnapshot()[0].Value);
    }

    [Fact]
    public async Task Breaker_state_and_alert_outcomes_are_published()
    {
        var (engine, _, meters, services) = Create();
        await using var _ = services;
        using var breaker = new MetricCollector<int>(meters, GuardedAITelemetry.MeterName, "guardedai.breaker.state");
        using var alerts = new MetricCollector<long>(meters, GuardedAITelemetry.MeterName, "guardedai.alerts");

        engine.Breakers.Get("b").Trip("test", TimeSpan.FromMinutes(1));
        await engine.Alerts.FlushAsync();

        Assert.Equal(1, breaker.LastMeasurement!.Value);
        Assert.Equal("b", breaker.LastMeasurement.Tags["guardedai.budget"]);
        var outcomes = alerts.GetMeasurementSnapshot();
        Assert.Contains(outcomes, m => (string?)m.Tags["guardedai.alert.outcome"] == "published" && (string?)m.Tags["guardedai.alert.level"] == "breaker_opened");
        Assert.Contains(outcomes, m => (string?)m.Tags["guardedai.alert.outcome"] == "sent" && (string?)m.Tags["guardedai.alert.sink"] == nameof(RecordingAlertSink));
    }

    [Fact]
    public async Task The_guarded_call_span_carries_budget_tenant_and_reserved_and_actual_amounts()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GuardedAITelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (stopped) stopped.Add(activity); },
        };
        ActivitySource.AddActivityListener(listener);
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("traced").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build();
        using var parent = new Activity("caller").Start();

        var lease = await engine.ReserveAsync(policy, TestEngine.Estimate(100, 50, 0.002m), new ReservationContext { Tenant = "acme", Provider = "openai" });
        await lease.CommitAsync(new TokenUsage(80, 20));
        var denied = await engine.TryReserveAsync(policy, TestEngine.Estimate(1, 1));

        Activity[] spans;
        lock (stopped) spans = stopped.Where(a => a.ParentId == parent.Id).ToArray();
        Assert.Equal(2, spans.Length);
        var call = spans[0];
        Assert.Equal("guardedai.call", call.OperationName);
        Assert.Equal("traced", call.GetTagItem("guardedai.budget"));
        Assert.Equal("acme", call.GetTagItem("guardedai.tenant"));
        Assert.Equal("openai", call.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(100L, call.GetTagItem("guardedai.reserved.input_tokens"));
        Assert.Equal(50L, call.GetTagItem("guardedai.reserved.output_tokens"));
        Assert.Equal(80L, call.GetTagItem("guardedai.actual.input_tokens"));
        Assert.Equal(20L, call.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal("USD", call.GetTagItem("gen_ai.usage.cost.currency"));
        Assert.Equal(ActivityStatusCode.Unset, call.Status);
        var denial = spans[1];
        Assert.Equal(ActivityStatusCode.Error, denial.Status);
        Assert.Equal("breaker_open", denial.GetTagItem("guardedai.denial.kind"));
        Assert.Equal(denied.Denial!.Reason, denial.StatusDescription);
    }
}

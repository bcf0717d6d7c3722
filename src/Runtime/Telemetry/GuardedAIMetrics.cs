using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace GuardedAI;

/// <summary>
/// The engine's instruments. The call-level ones follow the OpenTelemetry GenAI semantic conventions
/// (<c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c>); the rest are GuardedAI's own, under
/// <c>guardedai.*</c>. Cost has no stable convention yet: it is a counter carrying the attributes upstream proposes
/// (<c>gen_ai.usage.cost.currency</c>, <c>gen_ai.usage.cost.source</c>), provisional until one is adopted.
/// Every method is cheap when nothing listens.
/// </summary>
internal sealed class GuardedAIMetrics : IDisposable
{
    // Bucket boundaries the conventions recommend.
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    // Created on a thread-pool thread when the engine is built: the first Meter of a process initialises the runtime's
    // metrics event source (~8 ms), and the instruments' generic types are compiled (~7 ms), which used to be ~15 ms of
    // a process's first guarded call. The engine's first measurement takes them as they are: created, being created (it
    // waits for that thread), or not started yet (it creates them itself, so a busy thread pool never holds it up). None
    // is lost, and a listener started before the engine sees every instrument published.
    private readonly Lazy<Instruments> _instruments;
    private readonly bool _ownsMeter;

    public GuardedAIMetrics(IMeterFactory? factory)
    {
        _ownsMeter = factory is null;
        _instruments = new Lazy<Instruments>(() => new Instruments(factory), LazyThreadSafetyMode.ExecutionAndPublication);
        _ = Task.Run(() =>
        {
            // Should creating them fail, the Lazy keeps the exception and the first measurement throws it, on the call's path.
            try { _ = _instruments.Value; }
            catch (Exception) { }
        });
    }

    private Instruments I => _instruments.Value;

    public Meter Meter => I.Meter;

    private sealed class Instruments
    {
        public readonly Meter Meter;
        public readonly Histogram<long> TokenUsage;
        public readonly Histogram<double> Duration;
        public readonly Counter<double> Cost;
        public readonly Gauge<double> Utilization;
        public readonly UpDownCounter<long> Reservations;
        public readonly Counter<long> Denials;
        public readonly Counter<long> WouldBeDenied;
        public readonly Gauge<int> BreakerState;
        public readonly Histogram<double> EstimateError;
        public readonly Counter<long> Alerts;
        public readonly Gauge<double> HostUtilization;

        public Instruments(IMeterFactory? factory)
        {
            var version = typeof(GuardedAIMetrics).Assembly.GetName().Version?.ToString();
            Meter = factory?.Create(new MeterOptions(GuardedAITelemetry.MeterName) { Version = version }) ?? new Meter(GuardedAITelemetry.MeterName, version);
            TokenUsage = Meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
                advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
            Duration = Meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of a guarded GenAI operation, from reservation to settlement.",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
            Cost = Meter.CreateCounter<double>("guardedai.cost", "{USD}", "What settled calls cost, priced by GuardedAI's price catalogue (provisional shape: gen_ai.usage.cost.*).");
            Utilization = Meter.CreateGauge<double>("guardedai.budget.utilization", "1", "Usage of a limit in its current window as a fraction of the limit (1 = exhausted).");
            Reservations = Meter.CreateUpDownCounter<long>("guardedai.reservations.active", "{reservation}", "Reservations held by calls in flight.");
            Denials = Meter.CreateCounter<long>("guardedai.denials", "{denial}", "Calls denied, by what denied them.");
            WouldBeDenied = Meter.CreateCounter<long>("guardedai.shadow.denials", "{denial}", "Calls a budget in shadow would have denied and let through, by what would have denied them.");
            BreakerState = Meter.CreateGauge<int>("guardedai.breaker.state", "{state}", "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 emergency stopped.");
            EstimateError = Meter.CreateHistogram<double>("guardedai.estimate.error", null, "(actual - estimated) / estimated input tokens of calls whose provider reported usage.");
            Alerts = Meter.CreateCounter<long>("guardedai.alerts", "{alert}", "Alerts by level and what became of them (published, suppressed, dropped, sent, failed).");
            HostUtilization = Meter.CreateGauge<double>("guardedai.host.utilization", "1", "Host resource use as a fraction (CPU, memory, disk), sampled when host pressure is on.");
        }
    }

    public void Settled(GuardedAI.Engine.HeldReservation call, in UsageValues record, string? responseModel, string? errorType, string operation)
    {
        var model = call.Estimate.Model;
        var provider = call.Context.Provider;
        if (I.TokenUsage.Enabled)
        {
            I.TokenUsage.Record(record.InputTokens, CallTags(operation, provider, model, responseModel, null, "input"));
            I.TokenUsage.Record(record.OutputTokens, CallTags(operation, provider, model, responseModel, null, "output"));
        }
        if (I.Duration.Enabled) I.Duration.Record(record.Duration.TotalSeconds, CallTags(operation, provider, model, responseModel, errorType, null));
        if (I.Cost.Enabled && record.CostUsd > 0)
        {
            var tags = new TagList
            {
                { "guardedai.budget", record.Budget },
                { "gen_ai.request.model", model },
                { "gen_ai.usage.cost.currency", "USD" },
                { "gen_ai.usage.cost.source", "local" },
            };
            if (record.Tenant is not null) tags.Add("guardedai.tenant", record.Tenant);
            I.Cost.Add((double)record.CostUsd, tags);
        }
        if (I.EstimateError.Enabled && record.UsageReported && record.ReservedInputTokens > 0)
        {
            I.EstimateError.Record((record.InputTokens - record.ReservedInputTokens) / (double)record.ReservedInputTokens,
                new TagList { { "gen_ai.request.model", model }, { "gen_ai.token.type", "input" } });
        }
    }

    /// <summary>Whether anyone listens to the utilization gauge (which takes every counter's value on every settlement).</summary>
    public bool UtilizationEnabled => I.Utilization.Enabled;

    public void Utilization(in CounterCharge charge, long value, long limitUnits, bool soft)
    {
        if (UtilizationEnabled && limitUnits > 0) RecordUtilization(charge, value, limitUnits, soft);
    }

    // Apart from the check, which is inlined into every settlement's look at each counter: inlined, this method's tag
    // list (a struct of eight tags) was a frame to clear on each of them, whether anyone listened or not.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordUtilization(in CounterCharge charge, long value, long limitUnits, bool soft)
    {
        I.Utilization.Record(value / (double)limitUnits, new TagList
        {
            { "guardedai.budget", charge.Key.Scope },
            { "guardedai.dimension", Name(charge.Key.Dimension) },
            { "guardedai.window", Name(charge.Key.Window) },
            { "guardedai.limit.kind", soft ? "soft" : "hard" },
        });
    }

    public void ReservationAcquired(string budget)
    {
        if (I.Reservations.Enabled) I.Reservations.Add(1, new KeyValuePair<string, object?>("guardedai.budget", budget));
    }

    public void ReservationEnded(string budget)
    {
        if (I.Reservations.Enabled) I.Reservations.Add(-1, new KeyValuePair<string, object?>("guardedai.budget", budget));
    }

    public void Denied(BudgetDenial denial, string budget)
    {
        if (!I.Denials.Enabled) return;
        var tags = new TagList { { "guardedai.budget", budget }, { "guardedai.denial.kind", Name(denial.Kind) } };
        if (denial.Scope != budget) tags.Add("guardedai.denial.scope", denial.Scope);
        if (denial.Dimension is { } dimension) tags.Add("guardedai.dimension", Name(dimension));
        if (denial.Window is { } window) tags.Add("guardedai.window", Name(window));
        I.Denials.Add(1, tags);
    }

    public void WouldBeDenied(BudgetDenial denial, string budget)
    {
        if (!I.WouldBeDenied.Enabled) return;
        var tags = new TagList { { "guardedai.budget", budget }, { "guardedai.denial.kind", Name(denial.Kind) }, { "guardedai.denial.scope", denial.Scope } };
        if (denial.Dimension is { } dimension) tags.Add("guardedai.dimension", Name(dimension));
        if (denial.Window is { } window) tags.Add("guardedai.window", Name(window));
        I.WouldBeDenied.Add(1, tags);
    }

    public void BreakerState(string scope, CircuitBreakerState state)
    {
        if (!I.BreakerState.Enabled) return;
        var value = state switch
        {
            CircuitBreakerState.Closed => 0,
            CircuitBreakerState.Open => 1,
            CircuitBreakerState.HalfOpen => 2,
            _ => 3,
        };
        I.BreakerState.Record(value, new KeyValuePair<string, object?>("guardedai.budget", scope));
    }

    public void Alert(AlertLevel level, string outcome, string? sink)
    {
        if (!I.Alerts.Enabled) return;
        var tags = new TagList { { "guardedai.alert.level", Name(level) }, { "guardedai.alert.outcome", outcome } };
        if (sink is not null) tags.Add("guardedai.alert.sink", sink);
        I.Alerts.Add(1, tags);
    }

    public void HostUtilization(string resource, double fraction)
    {
        if (I.HostUtilization.Enabled) I.HostUtilization.Record(fraction, new KeyValuePair<string, object?>("guardedai.host.resource", resource));
    }

    private static TagList CallTags(string operation, string? provider, string? requestModel, string? responseModel, string? errorType, string? tokenType)
    {
        var tags = new TagList { { "gen_ai.operation.name", operation } };
        if (provider is not null) tags.Add("gen_ai.provider.name", provider);
        if (requestModel is not null) tags.Add("gen_ai.request.model", requestModel);
        if (responseModel is not null) tags.Add("gen_ai.response.model", responseModel);
        if (tokenType is not null) tags.Add("gen_ai.token.type", tokenType);
        if (errorType is not null) tags.Add("error.type", errorType);
        return tags;
    }

    /// <summary>An enum value as an attribute value (<c>CostUsd</c> → <c>cost_usd</c>), without allocating on each call.</summary>
    internal static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => EnumNames<TEnum>.Get(value);

    private static class EnumNames<TEnum> where TEnum : struct, Enum
    {
        private static readonly Dictionary<TEnum, string> Names = Enum.GetValues<TEnum>().Distinct().ToDictionary(v => v, v => Snake(v.ToString()));

        public static string Get(TEnum value) => Names.TryGetValue(value, out var name) ? name : Snake(value.ToString());
    }

    /// <summary><c>CostUsd</c> → <c>cost_usd</c>.</summary>
    internal static string Snake(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public void Dispose()
    {
        if (_ownsMeter) I.Meter.Dispose();
    }
}

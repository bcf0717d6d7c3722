using System.Diagnostics;
using System.Diagnostics.Metrics;

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

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<long> _tokenUsage;
    private readonly Histogram<double> _duration;
    private readonly Counter<double> _cost;
    private readonly Gauge<double> _utilization;
    private readonly UpDownCounter<long> _reservations;
    private readonly Counter<long> _denials;
    private readonly Counter<long> _wouldBeDenied;
    private readonly Gauge<int> _breakerState;
    private readonly Histogram<double> _estimateError;
    private readonly Counter<long> _alerts;
    private readonly Gauge<double> _hostUtilization;

    public GuardedAIMetrics(IMeterFactory? factory)
    {
        var version = typeof(GuardedAIMetrics).Assembly.GetName().Version?.ToString();
        _meter = factory?.Create(new MeterOptions(GuardedAITelemetry.MeterName) { Version = version }) ?? new Meter(GuardedAITelemetry.MeterName, version);
        _ownsMeter = factory is null;

        _tokenUsage = _meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _duration = _meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of a guarded GenAI operation, from reservation to settlement.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _cost = _meter.CreateCounter<double>("guardedai.cost", "{USD}", "What settled calls cost, priced by GuardedAI's price catalogue (provisional shape: gen_ai.usage.cost.*).");
        _utilization = _meter.CreateGauge<double>("guardedai.budget.utilization", "1", "Usage of a limit in its current window as a fraction of the limit (1 = exhausted).");
        _reservations = _meter.CreateUpDownCounter<long>("guardedai.reservations.active", "{reservation}", "Reservations held by calls in flight.");
        _denials = _meter.CreateCounter<long>("guardedai.denials", "{denial}", "Calls denied, by what denied them.");
        _wouldBeDenied = _meter.CreateCounter<long>("guardedai.shadow.denials", "{denial}", "Calls a budget in shadow would have denied and let through, by what would have denied them.");
        _breakerState = _meter.CreateGauge<int>("guardedai.breaker.state", "{state}", "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 emergency stopped.");
        _estimateError = _meter.CreateHistogram<double>("guardedai.estimate.error", null, "(actual - estimated) / estimated input tokens of calls whose provider reported usage.");
        _alerts = _meter.CreateCounter<long>("guardedai.alerts", "{alert}", "Alerts by level and what became of them (published, suppressed, dropped, sent, failed).");
        _hostUtilization = _meter.CreateGauge<double>("guardedai.host.utilization", "1", "Host resource use as a fraction (CPU, memory, disk), sampled when host pressure is on.");
    }

    public Meter Meter => _meter;

    public void Settled(BudgetLease lease, UsageRecord record, string? responseModel, string? errorType, string operation)
    {
        var model = lease.Estimate.Model;
        var provider = lease.Context.Provider;
        if (_tokenUsage.Enabled)
        {
            _tokenUsage.Record(record.InputTokens, CallTags(operation, provider, model, responseModel, null, "input"));
            _tokenUsage.Record(record.OutputTokens, CallTags(operation, provider, model, responseModel, null, "output"));
        }
        if (_duration.Enabled) _duration.Record(record.Duration.TotalSeconds, CallTags(operation, provider, model, responseModel, errorType, null));
        if (_cost.Enabled && record.CostUsd > 0)
        {
            var tags = new TagList
            {
                { "guardedai.budget", record.Budget },
                { "gen_ai.request.model", model },
                { "gen_ai.usage.cost.currency", "USD" },
                { "gen_ai.usage.cost.source", "local" },
            };
            if (record.Tenant is not null) tags.Add("guardedai.tenant", record.Tenant);
            _cost.Add((double)record.CostUsd, tags);
        }
        if (_estimateError.Enabled && record.UsageReported && record.ReservedInputTokens > 0)
        {
            _estimateError.Record((record.InputTokens - record.ReservedInputTokens) / (double)record.ReservedInputTokens,
                new TagList { { "gen_ai.request.model", model }, { "gen_ai.token.type", "input" } });
        }
    }

    public void Utilization(in CounterCharge charge, long value, long limitUnits, bool soft)
    {
        if (!_utilization.Enabled || limitUnits <= 0) return;
        _utilization.Record(value / (double)limitUnits, new TagList
        {
            { "guardedai.budget", charge.Key.Scope },
            { "guardedai.dimension", Name(charge.Key.Dimension) },
            { "guardedai.window", Name(charge.Key.Window) },
            { "guardedai.limit.kind", soft ? "soft" : "hard" },
        });
    }

    public void ReservationAcquired(string budget)
    {
        if (_reservations.Enabled) _reservations.Add(1, new KeyValuePair<string, object?>("guardedai.budget", budget));
    }

    public void ReservationEnded(string budget)
    {
        if (_reservations.Enabled) _reservations.Add(-1, new KeyValuePair<string, object?>("guardedai.budget", budget));
    }

    public void Denied(BudgetDenial denial, string budget)
    {
        if (!_denials.Enabled) return;
        var tags = new TagList { { "guardedai.budget", budget }, { "guardedai.denial.kind", Name(denial.Kind) } };
        if (denial.Scope != budget) tags.Add("guardedai.denial.scope", denial.Scope);
        if (denial.Dimension is { } dimension) tags.Add("guardedai.dimension", Name(dimension));
        if (denial.Window is { } window) tags.Add("guardedai.window", Name(window));
        _denials.Add(1, tags);
    }

    public void WouldBeDenied(BudgetDenial denial, string budget)
    {
        if (!_wouldBeDenied.Enabled) return;
        var tags = new TagList { { "guardedai.budget", budget }, { "guardedai.denial.kind", Name(denial.Kind) }, { "guardedai.denial.scope", denial.Scope } };
        if (denial.Dimension is { } dimension) tags.Add("guardedai.dimension", Name(dimension));
        if (denial.Window is { } window) tags.Add("guardedai.window", Name(window));
        _wouldBeDenied.Add(1, tags);
    }

    public void BreakerState(string scope, CircuitBreakerState state)
    {
        if (!_breakerState.Enabled) return;
        var value = state switch
        {
            CircuitBreakerState.Closed => 0,
            CircuitBreakerState.Open => 1,
            CircuitBreakerState.HalfOpen => 2,
            _ => 3,
        };
        _breakerState.Record(value, new KeyValuePair<string, object?>("guardedai.budget", scope));
    }

    public void Alert(AlertLevel level, string outcome, string? sink)
    {
        if (!_alerts.Enabled) return;
        var tags = new TagList { { "guardedai.alert.level", Name(level) }, { "guardedai.alert.outcome", outcome } };
        if (sink is not null) tags.Add("guardedai.alert.sink", sink);
        _alerts.Add(1, tags);
    }

    public void HostUtilization(string resource, double fraction)
    {
        if (_hostUtilization.Enabled) _hostUtilization.Record(fraction, new KeyValuePair<string, object?>("guardedai.host.resource", resource));
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
        if (_ownsMeter) _meter.Dispose();
    }
}

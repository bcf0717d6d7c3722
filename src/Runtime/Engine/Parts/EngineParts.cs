using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.Engine;

/// <summary>
/// The parts of one engine, assembled once from a copy of its options: nothing here reads the options object
/// again, so changing it after construction changes nothing.
/// </summary>
internal sealed class EngineParts
{
    public EngineParts(BudgetEngineOptions options)
    {
        if (options.FallbackLimitFraction is <= 0 or > 1 or double.NaN)
            throw new ArgumentOutOfRangeException(nameof(options), options.FallbackLimitFraction, "FallbackLimitFraction must be in (0, 1].");
        if (options.ReservationLease is { } lease && lease <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), lease, "ReservationLease must be positive.");
        if (options.RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.RequestTimeout, "RequestTimeout must be positive.");
        if (options.StreamIdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.StreamIdleTimeout, "StreamIdleTimeout must be positive.");
        if (options.MaxPromptCharacters <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxPromptCharacters, "MaxPromptCharacters must be positive.");

        Time = options.TimeProvider;
        LoggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger("GuardedAI.BudgetEngine");
        FixedLease = options.ReservationLease;
        RequestTimeout = options.RequestTimeout;
        StreamIdleTimeout = options.StreamIdleTimeout;
        StoreRetryInterval = options.StoreRetryInterval;
        MaxPromptCharacters = options.MaxPromptCharacters;
        Policies = new PolicyRegistry(Copy(options.Policies), Copy(options.TenantPolicies), options.DefaultTenantPolicy);

        var alerting = options.Alerts.Copy();
        alerting.Validate();
        var hostPressure = options.HostPressure.Copy();
        hostPressure.Validate();
        Metrics = new GuardedAIMetrics(options.MeterFactory);
        var sinks = new List<IBudgetAlertSink>(options.AlertSinks);
        if (options.LogAlerts) sinks.Insert(0, new LoggerAlertSink(LoggerFactory.CreateLogger("GuardedAI.Alerts")));
        Alerts = new AlertDispatcher(sinks, alerting, Time, Logger, options.AlertDedupStore, Metrics);
        Breakers = new CircuitBreakerRegistry(Time, options.BreakerStateStore, Logger);
        Thresholds = new ThresholdMonitor(Breakers, Alerts, Time, alerting, Metrics);
        HostPressure = hostPressure.Enabled ? new HostPressureMonitor(hostPressure, Time, Logger, Metrics) : null;
        Store = new ResilientCounterStore(options.Store ?? new InMemoryBudgetCounterStore(Time),
            new StoreSettings(options.StoreFailureMode, options.StoreRetryInterval, options.FallbackLimitFraction), Time, Alerts, Logger);
        Recorder = new UsageRecorder(options.Ledger ?? new InMemoryUsageLedger(), Logger);
        Pricing = new EnginePricing(options.Prices ?? PriceCatalog.CreateDefault(), Thresholds, Logger);
        Tokenizers = options.Tokenizers ?? new TokenCounterRegistry();
        OwnedResources = Copy(options.OwnedResources);
        Throttles = new Throttles(Time);
        CounterResets = options.CounterResets;
        Settler = new Settler(this);
        Reserver = new Reserver(this);
        Shadow = new ShadowReserver(this);
    }

    /// <summary>A copy of the options' list. Not LINQ's ToArray: an engine built without LINQ does not load System.Linq
    /// on a process's first call.</summary>
    private static T[] Copy<T>(ICollection<T> items)
    {
        var copy = new T[items.Count];
        items.CopyTo(copy, 0);
        return copy;
    }

    public TimeProvider Time { get; }
    public ILoggerFactory LoggerFactory { get; }
    public ILogger Logger { get; }
    /// <summary>The lease every reservation gets, when the options fix one; null: derived from each call.</summary>
    public TimeSpan? FixedLease { get; }
    public TimeSpan RequestTimeout { get; }
    public TimeSpan StreamIdleTimeout { get; }

    /// <summary>How long the reservation of <paramref name="estimate"/> is leased.</summary>
    public TimeSpan LeaseFor(in UsageEstimate estimate) => ReservationLeaseDuration.For(FixedLease, RequestTimeout, estimate);
    public TimeSpan StoreRetryInterval { get; }
    public int MaxPromptCharacters { get; }
    public PolicyRegistry Policies { get; }
    public AlertDispatcher Alerts { get; }
    public GuardedAIMetrics Metrics { get; }
    public HostPressureMonitor? HostPressure { get; }
    public CircuitBreakerRegistry Breakers { get; }
    public ThresholdMonitor Thresholds { get; }
    public ResilientCounterStore Store { get; }
    public UsageRecorder Recorder { get; }
    public EnginePricing Pricing { get; }
    public TokenCounterRegistry Tokenizers { get; }
    public IAsyncDisposable[] OwnedResources { get; }
    public Throttles Throttles { get; }
    public ICounterResetStore? CounterResets { get; }

    /// <summary>The gate a settlement opens for the background vocabulary loads: the process's (tests give an engine its own).</summary>
    public VocabularyLoadGate VocabularyLoads { get; set; } = VocabularyLoadGate.Process;
    public Settler Settler { get; }
    public Reserver Reserver { get; }
    public ShadowReserver Shadow { get; }
}

using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>How a <see cref="BudgetEngine"/> is put together. Everything has an in-memory default. The engine copies
/// these settings when it is built: changing them afterwards changes nothing.</summary>
public sealed class BudgetEngineOptions
{
    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where counters live; default: in memory.</summary>
    public IBudgetCounterStore? Store { get; set; }

    /// <summary>Where usage records go; default: in memory.</summary>
    public IUsageLedger? Ledger { get; set; }

    /// <summary>Model prices; default: the embedded table.</summary>
    public PriceCatalog? Prices { get; set; }

    /// <summary>Token counters; default: the built-in registry.</summary>
    public TokenCounterRegistry? Tokenizers { get; set; }

    /// <summary>Where alerts go besides the log.</summary>
    public IList<IBudgetAlertSink> AlertSinks { get; } = new List<IBudgetAlertSink>();

    /// <summary>Whether alerts are also written to the log (default true).</summary>
    public bool LogAlerts { get; set; } = true;

    /// <summary>Logging; default: none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Policies known by name (for <c>UseBudget("name")</c> and configuration).</summary>
    public IList<BudgetPolicy> Policies { get; } = new List<BudgetPolicy>();

    /// <summary>Per-tenant policies by tenant key.</summary>
    public IDictionary<string, BudgetPolicy> TenantPolicies { get; } = new Dictionary<string, BudgetPolicy>(StringComparer.Ordinal);

    /// <summary>The budget every tenant not in <see cref="TenantPolicies"/> gets (each its own counters, under
    /// <c>tenant:&lt;key&gt;</c>); null: such tenants are labelled, not limited.</summary>
    public BudgetPolicy? DefaultTenantPolicy { get; set; }

    /// <summary>
    /// How long an unsettled reservation holds budget before it is returned. Null (the default): each call's lease is
    /// derived from the call — <see cref="RequestTimeout"/> plus the time its output cap takes at a slow 20 tokens a
    /// second, at most an hour (100 s + 40 s for an 800-token cap) — so an orphaned reservation returns about when its
    /// call would have ended.
    /// </summary>
    public TimeSpan? ReservationLease { get; set; }

    /// <summary>The longest a provider request may take before it answers (or starts streaming); default 100 s, the
    /// default timeout of HttpClient and of the OpenAI and Azure SDKs. Leases are derived from it.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long a stream may go unread (its consumer holding an update without asking for the next) before
    /// the guard cuts it and settles what arrived, so an enumerator that is never disposed does not hold its
    /// reservation; default 60 s.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often expired leases are swept (default 30 seconds).</summary>
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Prompts longer than this many characters are rejected before any tokenizing (default 4,000,000 ≈ 8 MB).</summary>
    public int MaxPromptCharacters { get; set; } = 4_000_000;

    /// <summary>What to do when the store is unreachable (default <see cref="StoreFailureMode.FailClosed"/>).</summary>
    public StoreFailureMode StoreFailureMode { get; set; } = StoreFailureMode.FailClosed;

    /// <summary>After a store failure, how long to use the fallback (or deny) before trying the store again (default 5 seconds).</summary>
    public TimeSpan StoreRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// With <see cref="StoreFailureMode.FailOpen"/>, the fraction of every limit an instance may use on its local
    /// fallback while the shared store is down (default 1: each instance enforces the full limit by itself). With N
    /// instances sharing a budget, 1/N keeps the total within the limit during an outage.
    /// </summary>
    public double FallbackLimitFraction { get; set; } = 1.0;

    /// <summary>Where circuit breaker state is persisted and shared; default: nowhere (in memory only).</summary>
    public IBreakerStateStore? BreakerStateStore { get; set; }

    /// <summary>Where operators' counter resets are kept (the SQLite ledger adds its own); the counters restored at start
    /// leave out usage a reset cleared.</summary>
    public ICounterResetStore? CounterResets { get; set; }

    /// <summary>The audit trail a host records changes of its budgets in (<c>config.changed</c>, at start and on a
    /// configuration reload; docs/rollout.md). A store adds its own (the SQLite ledger its chained audit log); when null,
    /// <see cref="CounterResets"/> is used if it is an <see cref="IOperatorAuditLog"/>; otherwise nothing is recorded.</summary>
    public IOperatorAuditLog? OperatorAuditLog { get; set; }

    /// <summary>How often breaker state is re-read from <see cref="BreakerStateStore"/> (default 5 seconds).</summary>
    public TimeSpan BreakerSyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Shared alert de-duplication (Redis); default: per instance.</summary>
    public IAlertDedupStore? AlertDedupStore { get; set; }

    /// <summary>Alert de-duplication, routing per level, digests, projections and the spend-anomaly baseline.</summary>
    public AlertSettings Alerts { get; } = new();

    /// <summary>Optional host protection: CPU, memory and disk sampling that throttles or denies new calls (off by default).</summary>
    public HostPressureSettings HostPressure { get; } = new();

    /// <summary>Creates the engine's <see cref="System.Diagnostics.Metrics.Meter"/> (a host's DI container provides one);
    /// default: the engine owns a meter named <see cref="GuardedAITelemetry.MeterName"/>.</summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Objects the engine disposes with itself (e.g. a Redis connection the configuration opened).</summary>
    public IList<IAsyncDisposable> OwnedResources { get; } = new List<IAsyncDisposable>();
}

using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>How a <see cref="BudgetEngine"/> is put together. Everything has an in-memory default.</summary>
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

    /// <summary>The policy of a tenant not in <see cref="TenantPolicies"/>; null: such tenants are labelled, not limited.</summary>
    public Func<string, BudgetPolicy?>? DefaultTenantPolicy { get; set; }

    /// <summary>How long an unsettled reservation holds budget before it is returned (default 10 minutes).</summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expired leases are swept (default 30 seconds).</summary>
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Prompts longer than this many characters are rejected before any tokenizing (default 4,000,000 ≈ 8 MB).</summary>
    public int MaxPromptCharacters { get; set; } = 4_000_000;

    /// <summary>What to do when the store is unreachable (default <see cref="StoreFailureMode.FailClosed"/>).</summary>
    public StoreFailureMode StoreFailureMode { get; set; } = StoreFailureMode.FailClosed;

    /// <summary>After a store failure, how long to use the fallback (or deny) before trying the store again (default 5 seconds).</summary>
    public TimeSpan StoreRetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

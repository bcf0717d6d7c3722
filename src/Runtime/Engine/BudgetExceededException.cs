namespace GuardedAI;

/// <summary>What denied a call.</summary>
public enum DenialKind
{
    /// <summary>A window limit would be exceeded.</summary>
    WindowLimit,
    /// <summary>A per-request cap would be exceeded.</summary>
    RequestCap,
    /// <summary>The circuit breaker is open.</summary>
    BreakerOpen,
    /// <summary>An emergency stop is in force.</summary>
    EmergencyStop,
    /// <summary>The counter store cannot be reached and the engine fails closed.</summary>
    StoreUnavailable,
    /// <summary>The budget is past its warning threshold and throttled, and the queue of waiting calls is full.</summary>
    Throttled,
    /// <summary>The host's CPU, memory or disk use is above its threshold (host pressure is on).</summary>
    HostPressure,
}

/// <summary>
/// A guarded call was denied before it reached the provider. Thrown by the middleware (<see cref="BudgetChatClient"/>,
/// <see cref="BudgetEmbeddingGenerator{TEmbedding}"/>, generated clients) for a denied <see cref="BudgetLease"/>;
/// <see cref="Exception.Message"/> is the denial's reason, a sentence a person understands.
/// </summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception for <paramref name="denial"/>.</summary>
    public BudgetExceededException(BudgetDenial denial)
        : base((denial ?? throw new ArgumentNullException(nameof(denial))).Reason)
    {
        Denial = denial;
    }

    /// <summary>The denial, with every detail.</summary>
    public BudgetDenial Denial { get; }

    /// <summary>What denied the call.</summary>
    public DenialKind Kind => Denial.Kind;

    /// <summary>The budget name, or <c>tenant:&lt;key&gt;</c>, whose limit denied the call.</summary>
    public string Scope => Denial.Scope;

    /// <summary>The dimension whose limit denied the call (null for store and emergency denials).</summary>
    public BudgetDimension? Dimension => Denial.Dimension;

    /// <summary>The window whose limit denied the call (null for per-request caps and store denials).</summary>
    public BudgetWindow? Window => Denial.Window;

    /// <summary>How much of the limit is used (reserved by calls in flight included).</summary>
    public decimal Used => Denial.Used;

    /// <summary>The limit.</summary>
    public decimal Limit => Denial.Limit;

    /// <summary>How much the denied call asked for.</summary>
    public decimal Requested => Denial.Requested;

    /// <summary>When a retry can succeed; null when waiting cannot help.</summary>
    public TimeSpan? RetryAfter => Denial.RetryAfter;
}

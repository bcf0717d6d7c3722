namespace GuardedAI;

/// <summary>Why a call was denied.</summary>
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
}

/// <summary>
/// A call was denied before it reached the provider. Says which scope and limit, how much is used, and when to
/// retry; <see cref="Exception.Message"/> is a sentence a person understands.
/// </summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BudgetExceededException(
        string message, DenialKind kind, string scope, BudgetDimension? dimension, BudgetWindow? window,
        decimal used, decimal limit, decimal requested, TimeSpan? retryAfter)
        : base(message)
    {
        Kind = kind;
        Scope = scope;
        Dimension = dimension;
        Window = window;
        Used = used;
        Limit = limit;
        Requested = requested;
        RetryAfter = retryAfter;
    }

    /// <summary>Why the call was denied.</summary>
    public DenialKind Kind { get; }

    /// <summary>The budget name, or <c>tenant:&lt;key&gt;</c>, whose limit denied the call.</summary>
    public string Scope { get; }

    /// <summary>The dimension whose limit denied the call (null for breaker and store denials).</summary>
    public BudgetDimension? Dimension { get; }

    /// <summary>The window whose limit denied the call (null for per-request caps and breaker denials).</summary>
    public BudgetWindow? Window { get; }

    /// <summary>How much of the limit is used (reserved by calls in flight included).</summary>
    public decimal Used { get; }

    /// <summary>The limit.</summary>
    public decimal Limit { get; }

    /// <summary>How much the denied call asked for.</summary>
    public decimal Requested { get; }

    /// <summary>When a retry can succeed: the time until the denying window resets or the breaker half-opens; null when
    /// waiting cannot help (the request itself is larger than a per-request cap).</summary>
    public TimeSpan? RetryAfter { get; }
}

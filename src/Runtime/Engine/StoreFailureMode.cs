namespace GuardedAI;

/// <summary>What the engine does when its counter store cannot be reached.</summary>
public enum StoreFailureMode
{
    /// <summary>Deny calls with a reason that says the store is down (the default: an outage never becomes an overspend).</summary>
    FailClosed,
    /// <summary>Keep serving, enforcing the same limits on a local in-memory fallback store until the store is back.</summary>
    FailOpen,
}

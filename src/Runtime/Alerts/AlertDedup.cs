namespace GuardedAI;

/// <summary>How an alert is de-duplicated before it is queued.</summary>
internal enum AlertDedupKind
{
    /// <summary>About a windowed limit: once per window, and not again within the repeat interval.</summary>
    Windowed,
    /// <summary>An event that may recur (an anomaly, an over-report): not again within the repeat interval.</summary>
    Repeating,
    /// <summary>One side of a state pair (breaker opened/closed, store down/up): every change is sent, the same state
    /// again within the repeat interval (a flapping breaker) is not.</summary>
    StateChange,
}

/// <summary>
/// The de-duplication identity of an alert. <see cref="Key"/> is (scope, dimension, level, window) for windowed alerts
/// — the window kind, not the window instance, so that a minute window's warning does not repeat every minute — and
/// <see cref="WindowEnd"/> says until when the alert stays claimed at least.
/// </summary>
internal readonly record struct AlertDedup(string Key, AlertDedupKind Kind, DateTimeOffset? WindowEnd = null)
{
    public static AlertDedup Windowed(string key, DateTimeOffset windowEnd) => new(key, AlertDedupKind.Windowed, windowEnd);

    public static AlertDedup Repeating(string key) => new(key, AlertDedupKind.Repeating);

    public static AlertDedup StateChange(string family) => new(family, AlertDedupKind.StateChange);

    /// <summary>Until when an alert published at <paramref name="now"/> keeps others with its key away.</summary>
    public DateTimeOffset SuppressUntil(DateTimeOffset now, TimeSpan repeatInterval)
    {
        var repeat = now + repeatInterval;
        return WindowEnd is { } end && end > repeat ? end : repeat;
    }
}

namespace GuardedAI;

/// <summary>The durable record of every call. Counters can be rebuilt from it.</summary>
public interface IUsageLedger
{
    /// <summary>Appends a record. When this completes the record is committed as far as the ledger promises.</summary>
    ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default);

    /// <summary>Records matching <paramref name="query"/>, oldest first.</summary>
    IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Which records to read. Null fields do not filter.</summary>
public sealed record UsageQuery
{
    /// <summary>Everything.</summary>
    public static UsageQuery All { get; } = new();

    /// <summary>Records at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Records before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only this budget.</summary>
    public string? Budget { get; init; }

    /// <summary>Only this tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Whether <paramref name="record"/> matches.</summary>
    public bool Matches(UsageRecord record) =>
        (From is null || record.Timestamp >= From) &&
        (To is null || record.Timestamp < To) &&
        (Budget is null || string.Equals(record.Budget, Budget, StringComparison.Ordinal)) &&
        (Tenant is null || string.Equals(record.Tenant, Tenant, StringComparison.Ordinal));
}

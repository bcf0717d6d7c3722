namespace GuardedAI.Reports;

/// <summary>How an aggregate splits its time range.</summary>
public enum UsageBucket
{
    /// <summary>One bucket: the whole range.</summary>
    None,
    /// <summary>Hours of the time zone's wall clock.</summary>
    Hour,
    /// <summary>Calendar days in the time zone (23 or 25 hours long on daylight-saving days).</summary>
    Day,
    /// <summary>ISO weeks (Monday to Sunday) in the time zone.</summary>
    Week,
    /// <summary>Calendar months in the time zone.</summary>
    Month,
}

/// <summary>
/// A typed aggregate request to a ledger: sums of usage over <c>[From, To)</c>, split into <see cref="Bucket"/>s of
/// <see cref="TimeZone"/>'s calendar, grouped by <see cref="GroupBy"/>, over the records <see cref="Filter"/> lets
/// through. Every row also carries its status, so readers can count outcomes and judge estimates. Each store turns
/// this into its own SQL dialect in one place; the logic that reads the rows (reports, forecasts, anomalies, bills)
/// lives in the core and is the same for every store.
/// </summary>
public sealed record UsageAggregateQuery
{
    /// <summary>Records at or after this instant.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>Records before this instant.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>How to split the range (default: not at all).</summary>
    public UsageBucket Bucket { get; init; } = UsageBucket.None;

    /// <summary>The time zone whose calendar buckets follow (default UTC).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>What to group by, in order (empty: totals only).</summary>
    public IReadOnlyList<UsageGrouping> GroupBy { get; init; } = [];

    /// <summary>Which records count.</summary>
    public UsageFilter Filter { get; init; } = UsageFilter.None;

    /// <summary>Whether only an hourly rollup of budget, tenant, provider, model, status and price table is needed.</summary>
    public bool IsRolledUp => Filter.IsRolledUp && GroupBy.All(g => g.IsRolledUp);

    /// <summary>Throws <see cref="ArgumentException"/> when the request cannot be answered.</summary>
    public void Validate()
    {
        if (To <= From) throw new ArgumentException($"The range must end after it starts, but it is {From:O} to {To:O}.", nameof(To));
        ArgumentNullException.ThrowIfNull(TimeZone);
        ArgumentNullException.ThrowIfNull(GroupBy);
        ArgumentNullException.ThrowIfNull(Filter);
        foreach (var g in GroupBy)
        {
            if (g.Dimension == UsageDimension.Tag && string.IsNullOrEmpty(g.TagKey)) throw new ArgumentException("A tag grouping needs the tag's key.", nameof(GroupBy));
        }
        if (Filter.TagKey is not null && Filter.TagValue is null) throw new ArgumentException("A tag filter needs a value.", nameof(Filter));
    }
}

/// <summary>Sums of a set of usage records.</summary>
/// <param name="Requests">Records.</param>
/// <param name="InputTokens">Input tokens billed (cached included).</param>
/// <param name="OutputTokens">Output tokens billed (reasoning included).</param>
/// <param name="CachedInputTokens">Cached input tokens.</param>
/// <param name="ReasoningTokens">Reasoning tokens.</param>
/// <param name="ReservedInputTokens">Input tokens estimated (reserved).</param>
/// <param name="ReservedOutputTokens">Output tokens reserved.</param>
/// <param name="ReservedCostUsd">Reserved cost.</param>
/// <param name="CostUsd">Actual cost, the exact decimal sum.</param>
/// <param name="DurationTicks">Summed call duration.</param>
public readonly record struct UsageSums(
    long Requests, long InputTokens, long OutputTokens, long CachedInputTokens, long ReasoningTokens,
    long ReservedInputTokens, long ReservedOutputTokens, decimal ReservedCostUsd, decimal CostUsd, long DurationTicks)
{
    /// <summary>The sums of one record.</summary>
    public static UsageSums Of(UsageRecord r) => new(1, r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.ReasoningTokens,
        r.ReservedInputTokens, r.ReservedOutputTokens, r.ReservedCostUsd, r.CostUsd, r.Duration.Ticks);

    /// <summary>Adds two sums.</summary>
    public static UsageSums operator +(UsageSums a, UsageSums b) => new(a.Requests + b.Requests, a.InputTokens + b.InputTokens,
        a.OutputTokens + b.OutputTokens, a.CachedInputTokens + b.CachedInputTokens, a.ReasoningTokens + b.ReasoningTokens,
        a.ReservedInputTokens + b.ReservedInputTokens, a.ReservedOutputTokens + b.ReservedOutputTokens,
        a.ReservedCostUsd + b.ReservedCostUsd, a.CostUsd + b.CostUsd, a.DurationTicks + b.DurationTicks);

    /// <summary>Adds two sums (for languages without operators).</summary>
    public UsageSums Add(UsageSums other) => this + other;
}

/// <summary>One row of an aggregate: a bucket, the group's key values, an outcome, and the sums.</summary>
/// <param name="BucketStart">The bucket's first instant (the range's start when not bucketed).</param>
/// <param name="Keys">The values of <see cref="UsageAggregateQuery.GroupBy"/>, in order; null where records have none.</param>
/// <param name="Status">The outcome of the records summed.</param>
/// <param name="Sums">The sums.</param>
public sealed record UsageAggregateRow(DateTimeOffset BucketStart, IReadOnlyList<string?> Keys, UsageStatus Status, UsageSums Sums);

namespace GuardedAI.Reports;

/// <summary>A usage report: totals over a range, and per bucket and group.</summary>
/// <param name="Query">What was asked.</param>
/// <param name="Rows">One row per bucket and group, in time order then by cost (largest first).</param>
/// <param name="Total">The totals of the whole range.</param>
public sealed record UsageReport(UsageAggregateQuery Query, IReadOnlyList<UsageReportRow> Rows, UsageTotals Total);

/// <summary>One bucket and group of a report.</summary>
/// <param name="BucketStart">The bucket's first instant.</param>
/// <param name="Keys">The group's values, in the order of the query's <see cref="UsageAggregateQuery.GroupBy"/>.</param>
/// <param name="Totals">The totals.</param>
public sealed record UsageReportRow(DateTimeOffset BucketStart, IReadOnlyList<string?> Keys, UsageTotals Totals);

/// <summary>Builds reports from any ledger through <see cref="IUsageLedgerQueries"/>; memory grows with the groups, not the records.</summary>
public static class UsageReports
{
    /// <summary>Runs <paramref name="query"/> and folds its rows into a report.</summary>
    public static async Task<UsageReport> BuildAsync(this IUsageLedgerQueries ledger, UsageAggregateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var groups = new Dictionary<GroupKey, List<(UsageStatus, UsageSums)>>();
        var all = new List<(UsageStatus, UsageSums)>();
        await foreach (var row in ledger.AggregateAsync(query, cancellationToken).ConfigureAwait(false))
        {
            var key = new GroupKey(row.BucketStart, row.Keys);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add((row.Status, row.Sums));
            all.Add((row.Status, row.Sums));
        }
        var rows = groups.Select(g => new UsageReportRow(g.Key.Bucket, g.Key.Keys, UsageTotals.From(g.Value)))
            .OrderBy(r => r.BucketStart).ThenByDescending(r => r.Totals.CostUsd).ThenBy(r => string.Join("\u0001", r.Keys), StringComparer.Ordinal)
            .ToList();
        return new UsageReport(query, rows, UsageTotals.From(all));
    }

    private readonly struct GroupKey(DateTimeOffset bucket, IReadOnlyList<string?> keys) : IEquatable<GroupKey>
    {
        public DateTimeOffset Bucket { get; } = bucket;
        public IReadOnlyList<string?> Keys { get; } = keys;

        public bool Equals(GroupKey other)
        {
            if (Bucket != other.Bucket || Keys.Count != other.Keys.Count) return false;
            for (var i = 0; i < Keys.Count; i++) if (!string.Equals(Keys[i], other.Keys[i], StringComparison.Ordinal)) return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is GroupKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(Bucket);
            foreach (var k in Keys) hash.Add(k, StringComparer.Ordinal);
            return hash.ToHashCode();
        }
    }
}

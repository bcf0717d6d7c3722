using GuardedAI.Reports;

namespace GuardedAI.Engine;

/// <summary>
/// Sums the ledger's records of the current window per group: every dimension, whether a limit counts it or not (the
/// counters hold only limited ones). Reads the window's records once; memory grows with the groups, not the records.
/// </summary>
internal static class SpendReader
{
    public static async Task<CurrentSpend> ReadAsync(EngineParts parts, SpendQuery query, CancellationToken cancellationToken)
    {
        var now = parts.Time.GetUtcNow();
        var (from, to) = Window(parts, query, now);
        var filter = query.Filter;
        var ledgerQuery = new UsageQuery
        {
            From = from == DateTimeOffset.MinValue ? null : from,
            To = to,
            Budget = filter.Budget,
            Tenant = filter.Tenant,
        };
        var all = new Dictionary<UsageStatus, UsageSums>();
        var groups = new Dictionary<GroupKey, Dictionary<UsageStatus, UsageSums>>();
        await foreach (var record in parts.Recorder.Ledger.QueryAsync(ledgerQuery, cancellationToken).ConfigureAwait(false))
        {
            if (!ledgerQuery.Matches(record) || !filter.Matches(record)) continue; // a ledger may return more than asked
            var sums = UsageSums.Of(record);
            Add(all, record.Status, sums);
            if (query.GroupBy.Count == 0) continue;
            var key = new GroupKey(query.GroupBy.Select(g => g.ValueOf(record)).ToArray());
            if (!groups.TryGetValue(key, out var byStatus)) groups[key] = byStatus = [];
            Add(byStatus, record.Status, sums);
        }
        var rows = groups
            .Select(g => new SpendGroup(g.Key.Values, UsageTotals.From(g.Value.Select(p => (p.Key, p.Value)))))
            .OrderByDescending(g => g.Totals.CostUsd).ThenByDescending(g => g.Totals.Requests)
            .ThenBy(g => string.Join("\u0001", g.Keys), StringComparer.Ordinal)
            .ToList();
        return new CurrentSpend(from, to, UsageTotals.From(all.Select(p => (p.Key, p.Value))), rows);
    }

    private static (DateTimeOffset From, DateTimeOffset To) Window(EngineParts parts, SpendQuery query, DateTimeOffset now)
    {
        if (query.Window.IsScope()) return (DateTimeOffset.MinValue, now.AddTicks(1));
        var timeZone = query.TimeZone
            ?? (query.Filter.Budget is { } budget ? parts.Policies.Get(budget)?.TimeZone : null)
            ?? TimeZoneInfo.Utc;
        return (WindowCalendar.Start(query.Window, now, timeZone), WindowCalendar.End(query.Window, now, timeZone));
    }

    private static void Add(Dictionary<UsageStatus, UsageSums> totals, UsageStatus status, UsageSums sums) =>
        totals[status] = totals.TryGetValue(status, out var existing) ? existing + sums : sums;

    private readonly struct GroupKey(string?[] values) : IEquatable<GroupKey>
    {
        public string?[] Values { get; } = values;

        public bool Equals(GroupKey other) => Values.AsSpan().SequenceEqual(other.Values);

        public override bool Equals(object? obj) => obj is GroupKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values) hash.Add(value, StringComparer.Ordinal);
            return hash.ToHashCode();
        }
    }
}

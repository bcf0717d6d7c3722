using System.Runtime.CompilerServices;
using GuardedAI.Reports;

namespace GuardedAI.AspNetCore;

/// <summary>
/// <see cref="IUsageLedgerQueries"/> for a ledger that only streams records (the in-memory ledger): aggregates are
/// summed from the records of the range. Memory grows with the groups, time with the records of the range; a store
/// with its own queries (a database) should register them instead.
/// </summary>
internal sealed class RecordScanQueries(IUsageLedger ledger) : IUsageLedgerQueries
{
    public async IAsyncEnumerable<UsageAggregateRow> AggregateAsync(UsageAggregateQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        var sums = new Dictionary<(int Bucket, string Keys, UsageStatus Status), (string?[] Keys, UsageSums Sums)>();
        await foreach (var record in ReadRecordsAsync(query.From, query.To, query.Filter, cancellationToken).ConfigureAwait(false))
        {
            var bucket = BucketOf(starts, record.Timestamp);
            var keys = query.GroupBy.Select(g => g.ValueOf(record)).ToArray();
            var key = (bucket, string.Join("\u0001", keys.Select(k => k ?? "\u0002")), record.Status);
            sums[key] = sums.TryGetValue(key, out var existing) ? (existing.Keys, existing.Sums + UsageSums.Of(record)) : (keys, UsageSums.Of(record));
        }
        foreach (var ((bucket, _, status), (keys, total)) in sums)
        {
            yield return new UsageAggregateRow(starts[bucket], keys, status, total);
        }
    }

    public async IAsyncEnumerable<UsageRecord> ReadRecordsAsync(DateTimeOffset from, DateTimeOffset to, UsageFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        filter ??= UsageFilter.None;
        await foreach (var record in ledger.QueryAsync(new UsageQuery { From = from, To = to, Budget = filter.Budget, Tenant = filter.Tenant }, cancellationToken).ConfigureAwait(false))
        {
            if (filter.Matches(record)) yield return record;
        }
    }

    public async ValueTask<LedgerDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        long count = 0;
        DateTimeOffset? first = null, last = null;
        await foreach (var record in ledger.QueryAsync(UsageQuery.All, cancellationToken).ConfigureAwait(false))
        {
            count++;
            if (first is null || record.Timestamp < first) first = record.Timestamp;
            if (last is null || record.Timestamp > last) last = record.Timestamp;
        }
        return new LedgerDescription(ledger is InMemoryUsageLedger ? "memory" : ledger.GetType().Name, count, first, last, 0);
    }

    private static int BucketOf(IReadOnlyList<DateTimeOffset> starts, DateTimeOffset timestamp)
    {
        var low = 0;
        var high = starts.Count - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (starts[mid] <= timestamp) low = mid;
            else high = mid - 1;
        }
        return low;
    }
}

namespace GuardedAI.Reports;

/// <summary>
/// The one way every reader — reports, forecasts, anomalies, billing exports, the <c>guardedai</c> tool, a dashboard —
/// reads a ledger. A store implements it with its own SQL (and its own rollups, so that reports stay fast and use
/// memory independent of the number of records); what is done with the rows is the core's.
/// </summary>
public interface IUsageLedgerQueries
{
    /// <summary>Sums of usage as <paramref name="query"/> asks, one row per bucket, group and outcome (any order).</summary>
    IAsyncEnumerable<UsageAggregateRow> AggregateAsync(UsageAggregateQuery query, CancellationToken cancellationToken = default);

    /// <summary>The records of <c>[from, to)</c> that pass <paramref name="filter"/>, oldest first, streamed.</summary>
    IAsyncEnumerable<UsageRecord> ReadRecordsAsync(DateTimeOffset from, DateTimeOffset to, UsageFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>What the ledger holds, for status and health views.</summary>
    ValueTask<LedgerDescription> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a ledger holds.</summary>
/// <param name="Location">Where it is (a file path, a host), never a secret.</param>
/// <param name="Records">How many records.</param>
/// <param name="First">The earliest record's time.</param>
/// <param name="Last">The latest record's time.</param>
/// <param name="SchemaVersion">The store's schema version.</param>
public sealed record LedgerDescription(string Location, long Records, DateTimeOffset? First, DateTimeOffset? Last, int SchemaVersion);

using System.Runtime.CompilerServices;
using GuardedAI.Reports;
using GuardedAI.Reports.Sql;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Reports on a PostgreSQL ledger — every instance's records — through <see cref="IUsageLedgerQueries"/>: the same SQL
/// as every SQL ledger (<see cref="LedgerSql"/>) in PostgreSQL's dialect. Aggregates read the daily and hourly rollups for
/// whole days and hours and the records only for what they cannot answer; the rollups are written in the statement that
/// appends, so one
/// statement's snapshot always sees records and rollups agree. Money is summed as <c>numeric</c>, exactly. A read that
/// finds its pooled connection dead (the server restarted since it was last used) is tried once more on a new one.
/// </summary>
public sealed partial class PostgreSqlUsageQueries : IUsageLedgerQueries, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Reports on the ledger in <paramref name="schema"/> of the database <paramref name="connectionString"/> names.
    /// Nothing is created: open a ledger (or the <c>guardedai</c> tool's import) for that.</summary>
    public PostgreSqlUsageQueries(string connectionString, string schema = "guardedai")
    {
        var options = new PostgreSqlLedgerOptions { ConnectionString = connectionString, Schema = schema };
        options.Validate();
        _dataSource = PostgreSqlConnections.CreateForReading(connectionString, schema);
        Location = PostgreSqlConnections.Describe(connectionString, schema);
    }

    /// <summary>Host, port, database and schema (never the password).</summary>
    public string Location { get; }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageAggregateRow> AggregateAsync(UsageAggregateQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        var startTicks = starts.Select(s => s.UtcTicks).ToArray();
        await using var read = await ReadAsync(command => LedgerSql.Aggregate(command, PostgreSqlDialect.Instance, query, startTicks, rollupWatermark: null), cancellationToken).ConfigureAwait(false);
        for (var more = read.HasRow; more; more = await read.Reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return LedgerSql.ReadAggregateRow(read.Reader, PostgreSqlDialect.Instance, query.GroupBy.Count, starts);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadRecordsAsync(DateTimeOffset from, DateTimeOffset to, UsageFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var read = await ReadAsync(command => LedgerSql.ReadRecords(command, PostgreSqlDialect.Instance, from, to, filter ?? UsageFilter.None), cancellationToken).ConfigureAwait(false);
        for (var more = read.HasRow; more; more = await read.Reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return LedgerSql.ReadRecord(read.Reader, PostgreSqlDialect.Instance);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<LedgerDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        await using var read = await ReadAsync(command => LedgerSql.Describe(command, PostgreSqlDialect.Instance), cancellationToken).ConfigureAwait(false);
        return LedgerSql.ReadDescription(read.Reader, Location);
    }

    /// <summary>Closes the connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

using System.Runtime.CompilerServices;
using GuardedAI.Reports;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Reports on a SQLite ledger file through <see cref="IUsageLedgerQueries"/>: the same SQL as every SQL ledger
/// (<see cref="LedgerSql"/>) in SQLite's dialect. Aggregates read the daily and hourly rollups for whole days and hours
/// and the records themselves only for what the rollups cannot answer (the records past their watermark, the partial
/// hours at the ends of a range that does not start or end on an hour, groupings by tag, conversation or run, and time
/// zones whose days do not start on a UTC hour). Money is summed as decimals.
/// Each query runs in one read transaction, so it sees one consistent snapshot while writers go on.
/// </summary>
public sealed class SqliteUsageQueries : IUsageLedgerQueries
{
    private readonly string _path;

    /// <summary>Reports on the ledger file at <paramref name="path"/>, which must exist; it is migrated to the current
    /// schema and its rollup brought up to date.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidOperationException">The file is not a GuardedAI ledger, or a newer GuardedAI wrote it.</exception>
    public SqliteUsageQueries(string path) : this(path, catchUpRollup: true) { }

    /// <summary>With <paramref name="catchUpRollup"/> false, opens without writing (tests read the records past the rollup this way).</summary>
    internal SqliteUsageQueries(string path, bool catchUpRollup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(_path)) throw new FileNotFoundException($"There is no GuardedAI ledger at '{_path}'.", _path);
        if (!catchUpRollup) return;
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        SqliteRollup.CatchUp(connection);
    }

    /// <summary>The ledger file.</summary>
    public string Path => _path;

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageAggregateRow> AggregateAsync(UsageAggregateQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        await using var connection = OpenReader();
        // Deferred: a read transaction, one snapshot for the watermark and the rows.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        LedgerSql.Aggregate(command, SqliteDialect.Instance, query, starts.Select(s => s.UtcTicks).ToArray(), SqliteRollup.Watermark(connection, transaction));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return LedgerSql.ReadAggregateRow(reader, SqliteDialect.Instance, query.GroupBy.Count, starts);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadRecordsAsync(DateTimeOffset from, DateTimeOffset to, UsageFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        LedgerSql.ReadRecords(command, SqliteDialect.Instance, from, to, filter ?? UsageFilter.None);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return LedgerSql.ReadRecord(reader, SqliteDialect.Instance);
    }

    /// <inheritdoc/>
    public async ValueTask<LedgerDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        LedgerSql.Describe(command, SqliteDialect.Instance);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return LedgerSql.ReadDescription(reader, _path);
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        SqliteFunctions.Register(connection);
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 10000;";
        busy.ExecuteNonQuery();
        return connection;
    }
}

namespace GuardedAI.PostgreSql;

/// <summary>
/// Bulk writes of usage records into a PostgreSQL ledger, one statement a batch, for imports of old logs (the
/// <c>guardedai import</c> tool). Ids already in the ledger are skipped, so importing the same records twice writes them
/// once; the rollups are kept in the same statement, as the ledger's own writer does. Large batches go in by binary
/// <c>COPY</c> into a temporary table first. Not for the call path: use
/// <see cref="PostgreSqlUsageLedger"/> there.
/// </summary>
public sealed class PostgreSqlLedgerImporter : IAsyncDisposable
{
    private readonly Npgsql.NpgsqlDataSource _dataSource;

    /// <summary>An import chains its records under a writer id of its own.</summary>
    private readonly string _chainWriter = PostgreSqlChain.NewWriter();

    private PostgreSqlLedgerImporter(Npgsql.NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Creates or migrates the schema of <paramref name="options"/>, then returns the importer.</summary>
    public static async Task<PostgreSqlLedgerImporter> OpenAsync(PostgreSqlLedgerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var dataSource = PostgreSqlConnections.CreateForSetup(options.ConnectionString, options.Schema);
        try
        {
            await PostgreSqlSchema.MigrateAsync(dataSource, options.Schema, PostgreSqlConnections.Describe(options.ConnectionString, options.Schema), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new PostgreSqlLedgerImporter(dataSource);
    }

    /// <summary>Batches of at least this many records go in by binary <c>COPY</c>; smaller ones as one multi-row insert.</summary>
    internal const int CopyThreshold = 2_000;

    /// <summary>Writes <paramref name="records"/> in one transaction (a large batch by binary <c>COPY</c>); returns how many were new.</summary>
    public async Task<int> WriteAsync(IReadOnlyCollection<UsageRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Ids repeated in the batch or already in the ledger are skipped by the chained write itself.
        var batch = records as IReadOnlyList<UsageRecord> ?? records.ToList();
        return batch.Count >= CopyThreshold
            ? await PostgreSqlRecordWriter.CopyAsync(connection, _chainWriter, batch, cancellationToken).ConfigureAwait(false)
            : await PostgreSqlRecordWriter.WriteAsync(connection, _chainWriter, batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

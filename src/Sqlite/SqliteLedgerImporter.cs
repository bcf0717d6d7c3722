namespace GuardedAI.Sqlite;

/// <summary>
/// Bulk writes of usage records into a ledger file, one transaction a batch, for imports of old logs. Ids already in
/// the ledger are skipped, so importing the same records twice writes them once; the hourly rollup is kept in the
/// same transaction, as the ledger's own writer does. Not for the call path: use <see cref="SqliteUsageLedger"/> there.
/// </summary>
public sealed class SqliteLedgerImporter : IDisposable
{
    private readonly Microsoft.Data.Sqlite.SqliteConnection _connection;
    private readonly SqliteRecordWriter _writer;

    /// <summary>Opens (creating or migrating) the ledger file at <paramref name="path"/>.</summary>
    public SqliteLedgerImporter(string path)
    {
        // NORMAL synchronous: an import can be run again after a crash (ids make it idempotent), so it need not fsync each batch.
        _connection = SqliteSchema.Open(path, synchronousFull: false);
        // Ids of imported lines are hashes, so their index is written all over: a larger page cache (64 MiB, a fixed bound)
        // keeps it in memory during a large import.
        SqliteSchema.Execute(_connection, "PRAGMA cache_size = -65536;");
        _writer = new SqliteRecordWriter(_connection);
    }

    /// <summary>Writes <paramref name="records"/> in one transaction; returns how many were new.</summary>
    public int Write(IReadOnlyCollection<UsageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        using var transaction = _connection.BeginTransaction(deferred: false);
        var inserted = _writer.Write(transaction, records);
        transaction.Commit();
        return inserted;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        _connection.Dispose();
    }
}

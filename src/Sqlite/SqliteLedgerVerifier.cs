using System.Globalization;
using GuardedAI.Integrity;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Verifies the tamper-evident chain of a SQLite ledger (<c>guardedai verify</c>): every usage record and audit entry
/// against its hash, its predecessor and its segment's recorded head. Opens the file read-only and changes nothing.
/// </summary>
public static class SqliteLedgerVerifier
{
    private const string ChainColumns = "chain_segment, chain_pos, chain_prev, chain_hash, seq";

    /// <summary>Most segment ranges verified at once: one per core, up to this many.</summary>
    private const int MaxWorkers = 4;

    /// <summary>Fewer entries than this per range are not worth another connection and thread.</summary>
    private const long MinEntriesPerWorker = 100_000;

    /// <summary>Verifies the ledger file at <paramref name="path"/>.</summary>
    /// <remarks>
    /// A large ledger is verified in segment ranges, one per core (up to 4), each on its own read-only connection; every
    /// range is checked against the heads it read in its own snapshot, so a writer appending meanwhile never causes a
    /// false finding.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The file is missing, not a GuardedAI ledger, or of a schema without the chain (older than version 7).</exception>
    public static LedgerVerification Verify(string path, CancellationToken cancellationToken = default) =>
        Verify(path, Math.Min(Environment.ProcessorCount, MaxWorkers), MinEntriesPerWorker, cancellationToken);

    /// <summary><see cref="Verify(string, CancellationToken)"/> with the split into ranges chosen by the caller (tests).</summary>
    internal static LedgerVerification Verify(string path, int workers, long minEntriesPerWorker, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InvalidOperationException($"There is no ledger file at '{full}'.");
        using var connection = Open(full);
        var version = SqliteSchema.GetVersion(connection);
        if (version < 7)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ledger '{full}' has schema version {version}, written before GuardedAI chained its records (version 7): there is nothing to verify. Open it once with this version to migrate it; records written from then on are chained."));
        }

        using var transaction = connection.BeginTransaction(deferred: true);
        var heads = ReadHeads(transaction, null, null);

        var ranges = Partition(heads, workers, minEntriesPerWorker);
        var parts = new ChainVerifier[ranges.Count];
        var chained = new (long Records, long Audits)[ranges.Count];
        if (ranges.Count == 1)
        {
            (parts[0], chained[0]) = VerifyRange(transaction, heads, null, null, cancellationToken);
        }
        else
        {
            try
            {
                Parallel.For(0, ranges.Count, new ParallelOptions { MaxDegreeOfParallelism = ranges.Count, CancellationToken = cancellationToken }, i =>
                {
                    using var own = Open(full);
                    using var ownTransaction = own.BeginTransaction(deferred: true);
                    var (from, to) = ranges[i];
                    (parts[i], chained[i]) = VerifyRange(ownTransaction, ReadHeads(ownTransaction, from, to), from, to, cancellationToken);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                throw;
            }
        }
        // Rows outside the chain (written before it existed, or inserted by hand) need a scan of each table; when every row
        // is one the ranges read (the count comes from the smallest index), there are none to look for.
        var unchained = new ChainVerifier([]);
        if (Count(transaction, "usage_records") != chained.Sum(c => c.Records))
            AddUnchained(transaction, unchained, "usage_records", "usage_records_unchained_through", "id", "record");
        if (Count(transaction, "audit_log") != chained.Sum(c => c.Audits))
            AddUnchained(transaction, unchained, "audit_log", "audit_log_unchained_through", "seq", "audit entry");
        return ChainVerifier.Combine([unchained, .. parts], heads);
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadOnly));
        connection.Open();
        // Read the file through a memory map (up to SQLite's own cap): a scan of every page copies nothing through the kernel.
        using var mmap = connection.CreateCommand();
        mmap.CommandText = "PRAGMA mmap_size = 4294967296;";
        mmap.ExecuteNonQuery();
        return connection;
    }

    private static long Count(SqliteTransaction transaction, string table)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM {table};";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Checks the records and audit entries of the segments from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    private static (ChainVerifier Verifier, (long Records, long Audits) Read) VerifyRange(SqliteTransaction transaction, IEnumerable<ChainHead> heads, string? from, string? to, CancellationToken cancellationToken)
    {
        var verifier = new ChainVerifier(heads);
        using var recordReader = new SqliteChainRecordReader(transaction, from, to);
        using var audits = transaction.Connection!.CreateCommand();
        audits.Transaction = transaction;
        audits.CommandText = $"SELECT ts_ticks, actor, action, scope, detail, {ChainColumns} FROM audit_log WHERE chain_segment IS NOT NULL{RangeFilter("chain_segment", from, to)} ORDER BY chain_segment, chain_pos, seq;";
        Bind(audits, from, to);
        using var auditReader = audits.ExecuteReader();
        var record = recordReader.Next();
        var audit = NextAudit(auditReader);
        long recordCount = 0, auditCount = 0;
        // Both tables share segments: merge them in (segment, position) order.
        while (record is not null || audit is not null)
        {
            if ((recordCount + auditCount) % 65536 == 65535) cancellationToken.ThrowIfCancellationRequested();
            if (audit is null || record is not null && Compare(record.Value, audit.Value) <= 0)
            {
                verifier.Add(record!.Value);
                recordCount++;
                record = recordReader.Next();
            }
            else
            {
                verifier.Add(audit.Value);
                auditCount++;
                audit = NextAudit(auditReader);
            }
        }
        return (verifier, (recordCount, auditCount));
    }

    /// <summary>The segment ranges verified in parallel (<see cref="ChainPartition"/>).</summary>
    internal static List<(string? From, string? To)> Partition(IReadOnlyCollection<ChainHead> heads, int workers, long minEntriesPerWorker) =>
        ChainPartition.Split(heads, workers, minEntriesPerWorker);

    /// <summary>The SQL condition of a segment range (parameters $from and $to).</summary>
    internal static string RangeFilter(string column, string? from, string? to) =>
        (from is null ? "" : $" AND {column} >= $from") + (to is null ? "" : $" AND {column} < $to");

    private static void Bind(SqliteCommand command, string? from, string? to)
    {
        if (from is not null) command.Parameters.AddWithValue("$from", from);
        if (to is not null) command.Parameters.AddWithValue("$to", to);
    }

    private static int Compare(in ChainEntry a, in ChainEntry b)
    {
        var bySegment = string.CompareOrdinal(a.Segment, b.Segment);
        return bySegment != 0 ? bySegment : a.Position.CompareTo(b.Position);
    }

    private static ChainEntry? NextAudit(SqliteDataReader reader)
    {
        if (!reader.Read()) return null;
        var action = new OperatorAction(new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        const int c = 5;
        var previous = (byte[])reader.GetValue(c + 2);
        var seq = reader.GetInt64(c + 4);
        return new ChainEntry(reader.GetString(c), reader.GetInt64(c + 1), "audit_log", seq, string.Create(CultureInfo.InvariantCulture, $"audit entry {seq} ({action.Action})"),
            previous, (byte[])reader.GetValue(c + 3), LedgerChain.Hash(previous, action));
    }

    private static List<ChainHead> ReadHeads(SqliteTransaction transaction, string? from, string? to)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT segment, length, head, start_pos, start_prev FROM chain_heads WHERE 1 = 1{RangeFilter("segment", from, to)};";
        Bind(command, from, to);
        using var reader = command.ExecuteReader();
        var heads = new List<ChainHead>();
        while (reader.Read())
        {
            heads.Add(new ChainHead(reader.GetString(0), reader.GetInt64(1), (byte[])reader.GetValue(2))
            {
                StartPosition = reader.GetInt64(3),
                StartPrevious = reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4),
            });
        }
        return heads;
    }

    /// <summary>Rows without chain fields: written before the chain existed (counted), or inserted since (named).</summary>
    private static void AddUnchained(SqliteTransaction transaction, ChainVerifier verifier, string table, string boundary, string nameColumn, string noun)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT seq, {nameColumn}, seq <= coalesce((SELECT value FROM chain_state WHERE name = '{boundary}'), 0) FROM {table} WHERE chain_segment IS NULL ORDER BY seq;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (reader.GetInt64(2) != 0) verifier.AddUnchained(1);
            else verifier.AddInserted(noun + " " + Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{table} row {reader.GetInt64(0)}"));
        }
    }
}

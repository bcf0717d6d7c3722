using System.Data;
using System.Globalization;
using GuardedAI.Integrity;
using GuardedAI.Reports.Sql;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Verifies the tamper-evident chain of a PostgreSQL ledger (<c>guardedai verify --connection …</c>): every usage record
/// and audit entry against its hash, its predecessor and its segment's recorded head, with the same
/// <see cref="ChainVerifier"/> as SQLite. Reads in one read-only snapshot (writers go on meanwhile without causing a
/// false finding) and changes nothing.
/// </summary>
public static class PostgreSqlLedgerVerifier
{
    private const string ChainColumns = "chain_segment, chain_pos, chain_prev, chain_hash, seq";

    /// <summary>Most segment ranges verified at once: one per core, up to this many.</summary>
    private const int MaxWorkers = 4;

    /// <summary>Fewer entries than this per range are not worth another connection.</summary>
    private const long MinEntriesPerWorker = 100_000;

    /// <summary>Verifies the ledger in the schema of <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">The schema holds no GuardedAI ledger, or one of a version without the chain (older than 4).</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    /// <remarks>
    /// A large ledger is verified in segment ranges, one per core (up to 4), each on its own connection reading the same
    /// exported snapshot, so the parts add up to one consistent verification.
    /// </remarks>
    public static Task<LedgerVerification> VerifyAsync(PostgreSqlLedgerOptions options, CancellationToken cancellationToken = default) =>
        VerifyAsync(options, Math.Min(Environment.ProcessorCount, MaxWorkers), MinEntriesPerWorker, cancellationToken);

    /// <summary><see cref="VerifyAsync(PostgreSqlLedgerOptions, CancellationToken)"/> with the split into ranges chosen by the caller (tests).</summary>
    internal static async Task<LedgerVerification> VerifyAsync(PostgreSqlLedgerOptions options, int workers, long minEntriesPerWorker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var location = PostgreSqlConnections.Describe(options.ConnectionString, options.Schema);
        await using var dataSource = PostgreSqlConnections.CreateForReading(options.ConnectionString, options.Schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the heads and every entry: what a writer commits meanwhile is not seen at all.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await Execute(connection, transaction, "SET TRANSACTION READ ONLY", cancellationToken).ConfigureAwait(false);
        // Stream the entries in chain order from the chain index rather than sorting the whole table first (a sort of a
        // million rows spills to disk before the first row arrives; the index holds that order already).
        await Execute(connection, transaction, "SET LOCAL enable_sort = off", cancellationToken).ConfigureAwait(false);
        int version;
        try
        {
            version = await PostgreSqlSchema.GetVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == "42P01")
        {
            throw new InvalidOperationException($"{location} holds no GuardedAI ledger (check the schema).", ex);
        }
        if (version < 4)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ledger {location} has schema version {version}, written before GuardedAI chained its PostgreSQL records (version 4): there is nothing to verify. Open it once with this version to migrate it; records written from then on are chained."));
        }

        var heads = await ReadHeadsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var ranges = Partition(heads, workers, minEntriesPerWorker);
        var parts = new ChainVerifier[ranges.Count];
        var chained = new (long Records, long Audits)[ranges.Count];
        if (ranges.Count == 1)
        {
            (parts[0], chained[0]) = await VerifyRangeAsync(connection, transaction, heads, null, null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Segment ranges verified at once, each on a connection of its own that reads this transaction's snapshot.
            string snapshot;
            await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction))
            {
                snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            await Task.WhenAll(ranges.Select((range, i) => Task.Run(async () =>
            {
                await using var own = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var ownTransaction = await own.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                await Execute(own, ownTransaction, $"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot.Replace("'", "''", StringComparison.Ordinal)}'; SET LOCAL enable_sort = off", cancellationToken).ConfigureAwait(false);
                var mine = heads.Where(h => ChainPartition.InRange(h.Segment, range.From, range.To)).ToList();
                (parts[i], chained[i]) = await VerifyRangeAsync(own, ownTransaction, mine, range.From, range.To, cancellationToken).ConfigureAwait(false);
            }, cancellationToken))).ConfigureAwait(false);
        }

        // Rows outside the chain: written before it existed (counted), or inserted since (named).
        var unchained = new ChainVerifier([]);
        if (await CountAsync(connection, transaction, "SELECT count(*) FROM usage_records", cancellationToken).ConfigureAwait(false) != chained.Sum(c => c.Records))
            await AddUnchainedAsync(connection, transaction, unchained, "usage_records", "id", "record", cancellationToken).ConfigureAwait(false);
        if (await CountAsync(connection, transaction, "SELECT count(*) FROM audit_log", cancellationToken).ConfigureAwait(false) != chained.Sum(c => c.Audits))
            await AddUnchainedAsync(connection, transaction, unchained, "audit_log", "seq", "audit entry", cancellationToken).ConfigureAwait(false);
        return ChainVerifier.Combine([unchained, .. parts], heads);
    }

    /// <summary>Checks the records and audit entries of the segments from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    private static async Task<(ChainVerifier Verifier, (long Records, long Audits) Read)> VerifyRangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IEnumerable<ChainHead> heads, string? from, string? to, CancellationToken cancellationToken)
    {
        var verifier = new ChainVerifier(heads);
        // Audit entries are few (operator actions, breaker changes, resets): read them first, then merge them into the records' stream.
        var audits = await ReadAuditsAsync(connection, transaction, from, to, cancellationToken).ConfigureAwait(false);
        long records = 0;
        var next = 0;
        await using (var command = new NpgsqlCommand(
            $"SELECT {LedgerSql.RecordColumns}, {ChainColumns} FROM usage_records WHERE chain_segment IS NOT NULL{RangeFilter(from, to)} ORDER BY chain_segment, chain_pos, seq",
            connection, transaction))
        {
            command.CommandTimeout = 0;
            Bind(command, from, to);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var entry = ReadRecord(reader);
                while (next < audits.Count && Compare(audits[next], entry) <= 0) verifier.Add(audits[next++]);
                verifier.Add(entry);
                if (++records % 65536 == 0) cancellationToken.ThrowIfCancellationRequested();
            }
        }
        while (next < audits.Count) verifier.Add(audits[next++]);
        return (verifier, (records, audits.Count));
    }

    /// <summary>The segment ranges verified in parallel (<see cref="ChainPartition"/>).</summary>
    internal static List<(string? From, string? To)> Partition(IReadOnlyCollection<ChainHead> heads, int workers, long minEntriesPerWorker) =>
        ChainPartition.Split(heads, workers, minEntriesPerWorker);

    private static string RangeFilter(string? from, string? to) =>
        (from is null ? "" : " AND chain_segment >= @from") + (to is null ? "" : " AND chain_segment < @to");

    private static void Bind(NpgsqlCommand command, string? from, string? to)
    {
        if (from is not null) command.Parameters.AddWithValue("from", from);
        if (to is not null) command.Parameters.AddWithValue("to", to);
    }

    /// <summary>A record row as the ledger reads it, hashed; a row that no longer reads as a record (edited by hand) fails its hash.</summary>
    private static ChainEntry ReadRecord(NpgsqlDataReader reader)
    {
        const int c = LedgerSql.RecordColumnCount;
        UsageRecord? record = null;
        string id;
        try
        {
            record = LedgerSql.ReadRecord(reader, PostgreSqlDialect.Instance);
            id = record.Id;
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or System.Text.Json.JsonException or ArgumentException)
        {
            id = "(unreadable)";
        }
        var segment = reader.GetString(c);
        var position = reader.GetInt64(c + 1);
        var previous = reader.IsDBNull(c + 2) ? [] : reader.GetFieldValue<byte[]>(c + 2);
        var stored = reader.IsDBNull(c + 3) ? [] : reader.GetFieldValue<byte[]>(c + 3);
        var seq = reader.GetInt64(c + 4);
        var name = record is null ? string.Create(CultureInfo.InvariantCulture, $"usage_records row {seq}") : "record " + id;
        return new ChainEntry(segment, position, "usage_records", seq, name, previous, stored, record is null ? [] : LedgerChain.Hash(previous, record));
    }

    private static async Task<List<ChainEntry>> ReadAuditsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? from, string? to, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT ts_ticks, actor, action, scope, detail, {ChainColumns} FROM audit_log WHERE chain_segment IS NOT NULL{RangeFilter(from, to)} ORDER BY chain_segment, chain_pos, seq",
            connection, transaction);
        command.CommandTimeout = 0;
        Bind(command, from, to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ChainEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var action = new OperatorAction(new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
            const int c = 5;
            var previous = reader.IsDBNull(c + 2) ? [] : reader.GetFieldValue<byte[]>(c + 2);
            var seq = reader.GetInt64(c + 4);
            list.Add(new ChainEntry(reader.GetString(c), reader.GetInt64(c + 1), "audit_log", seq, string.Create(CultureInfo.InvariantCulture, $"audit entry {seq} ({action.Action})"),
                previous, reader.IsDBNull(c + 3) ? [] : reader.GetFieldValue<byte[]>(c + 3), LedgerChain.Hash(previous, action)));
        }
        return list;
    }

    private static int Compare(in ChainEntry a, in ChainEntry b)
    {
        var bySegment = string.CompareOrdinal(a.Segment, b.Segment);
        return bySegment != 0 ? bySegment : a.Position.CompareTo(b.Position);
    }

    internal static async Task<List<ChainHead>> ReadHeadsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT segment, length, head, start_pos, start_prev FROM chain_heads ORDER BY segment", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var heads = new List<ChainHead>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            heads.Add(new ChainHead(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2))
            {
                StartPosition = reader.GetInt64(3),
                StartPrevious = reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
            });
        }
        return heads;
    }

    /// <summary>Rows without chain fields: written before the chain existed (counted), or inserted since (named).</summary>
    private static async Task AddUnchainedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ChainVerifier verifier, string table, string nameColumn, string noun, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT seq, {nameColumn}::text, seq <= coalesce((SELECT value FROM chain_state WHERE name = '{table}_unchained_through'), 0) FROM {table} WHERE chain_segment IS NULL ORDER BY seq",
            connection, transaction);
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.GetBoolean(2)) verifier.AddUnchained(1);
            else verifier.AddInserted(noun + " " + reader.GetString(1), string.Create(CultureInfo.InvariantCulture, $"{table} row {reader.GetInt64(0)}"));
        }
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

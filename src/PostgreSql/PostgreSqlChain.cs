using System.Globalization;
using GuardedAI.Integrity;
using Npgsql;
using NpgsqlTypes;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Chains the entries one transaction writes (usage records, audit entries) into a writer's segments
/// (<see cref="LedgerChain"/>: writer and UTC day), as <c>SqliteChain</c> does for SQLite. Each segment a transaction
/// touches is locked first (a transaction-level advisory lock per segment, taken in one order), then its head is read,
/// advanced per entry and written back before the commit: the chain and its heads commit or roll back with the entries.
/// Each instance writes under its own writer id, so instances never wait for each other; within an instance the writer
/// and the spill's replay (or two ledgers sharing an id) are serialised per segment by the lock.
/// </summary>
internal sealed class PostgreSqlChain
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Dictionary<string, (long Length, byte[] Head, bool Dirty)> _heads = new(StringComparer.Ordinal);

    public PostgreSqlChain(NpgsqlTransaction transaction, string writer)
    {
        _transaction = transaction;
        _connection = transaction.Connection!;
        Writer = writer;
    }

    public string Writer { get; }

    /// <summary>A new writer id: machine, process and a random part, so two instances (or two ledgers of one process) never share a segment.</summary>
    public static string NewWriter() => string.Concat(
        new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()),
        "-", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "-", Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The segment <paramref name="timestamp"/>'s entries go to.</summary>
    public string SegmentOf(DateTimeOffset timestamp) => LedgerChain.Segment(Writer, timestamp);

    /// <summary>
    /// Locks the segments (in ordinal order, so two transactions never wait for each other in a cycle) and reads their heads.
    /// Call once, before <see cref="Next"/>; <paramref name="also"/> runs in the same round trip after the heads are read
    /// (its results follow them), so what it reads is seen under the locks.
    /// </summary>
    public async Task LockAsync(IEnumerable<string> segments, NpgsqlBatchCommand? also, Func<NpgsqlDataReader, Task>? readAlso, CancellationToken cancellationToken)
    {
        var sorted = segments.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await using var batch = new NpgsqlBatch(_connection, _transaction);
        // One statement per lock: each statement of a batch reads its own snapshot, so the heads are read after every lock is held.
        foreach (var segment in sorted)
        {
            var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended('guardedai-chain:' || current_schema() || ':' || $1, 0))");
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = segment, NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(lockCommand);
        }
        var read = new NpgsqlBatchCommand("SELECT segment, length, head FROM chain_heads WHERE segment = ANY($1)");
        read.Parameters.Add(new NpgsqlParameter { Value = sorted, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        batch.BatchCommands.Add(read);
        if (also is not null) batch.BatchCommands.Add(also);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < sorted.Length; i++) await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        foreach (var segment in sorted) _heads[segment] = (0, LedgerChain.Genesis(segment), false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _heads[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), false);
        }
        if (also is not null)
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await readAlso!(reader).ConfigureAwait(false);
        }
    }

    /// <summary>Where the next entry of <paramref name="segment"/> goes: its position and the hash it follows (the segment must be locked).</summary>
    public (long Position, byte[] Previous) Next(string segment)
    {
        var head = _heads.TryGetValue(segment, out var h) ? h : throw new InvalidOperationException($"Segment {segment} was not locked before it was written.");
        return (head.Length, head.Head);
    }

    /// <summary>Records that the entry <see cref="Next"/> placed was written, with its hash.</summary>
    public void Advance(string segment, byte[] hash)
    {
        var head = _heads[segment];
        _heads[segment] = (head.Length + 1, hash, true);
    }

    /// <summary>The statement that writes the heads that moved (run it before the commit), or null when none moved.</summary>
    public NpgsqlBatchCommand? SaveHeadsCommand()
    {
        var dirty = _heads.Where(h => h.Value.Dirty).ToList();
        if (dirty.Count == 0) return null;
        var command = new NpgsqlBatchCommand("""
            INSERT INTO chain_heads (segment, length, head) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
            ON CONFLICT (segment) DO UPDATE SET length = excluded.length, head = excluded.head
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = dirty.Select(h => h.Key).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = dirty.Select(h => h.Value.Length).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = dirty.Select(h => h.Value.Head).ToArray() });
        return command;
    }

    /// <summary>Writes the heads that moved.</summary>
    public async Task SaveHeadsAsync(CancellationToken cancellationToken)
    {
        if (SaveHeadsCommand() is not { } command) return;
        await using var batch = new NpgsqlBatch(_connection, _transaction) { BatchCommands = { command } };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends <paramref name="action"/> to <c>audit_log</c>, chained; locks its segment first unless it is locked. Heads are saved by <see cref="SaveHeadsAsync"/>.</summary>
    public async Task AppendAuditAsync(OperatorAction action, CancellationToken cancellationToken)
    {
        // What is hashed is what is stored: text PostgreSQL cannot hold (a NUL, half a surrogate pair) as U+FFFD first.
        action = action with
        {
            Actor = PostgreSqlText.Storable(action.Actor)!, Action = PostgreSqlText.Storable(action.Action)!,
            Scope = PostgreSqlText.Storable(action.Scope), Detail = PostgreSqlText.Storable(action.Detail),
        };
        var segment = SegmentOf(action.Timestamp);
        if (!_heads.ContainsKey(segment)) await LockAsync([segment], null, null, cancellationToken).ConfigureAwait(false);
        var (position, previous) = Next(segment);
        var hash = LedgerChain.Hash(previous, action);
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_log (ts_ticks, actor, action, scope, detail, chain_segment, chain_pos, chain_prev, chain_hash)
            VALUES (@at, @actor, @action, @scope, @detail, @seg, @pos, @prev, @hash)
            """, _connection, _transaction);
        command.Parameters.AddWithValue("at", action.Timestamp.UtcTicks);
        command.Parameters.AddWithValue("actor", action.Actor);
        command.Parameters.AddWithValue("action", action.Action);
        command.Parameters.AddWithValue("scope", NpgsqlDbType.Text, (object?)action.Scope ?? DBNull.Value);
        command.Parameters.AddWithValue("detail", NpgsqlDbType.Text, (object?)action.Detail ?? DBNull.Value);
        command.Parameters.AddWithValue("seg", segment);
        command.Parameters.AddWithValue("pos", position);
        command.Parameters.AddWithValue("prev", previous);
        command.Parameters.AddWithValue("hash", hash);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        Advance(segment, hash);
    }
}

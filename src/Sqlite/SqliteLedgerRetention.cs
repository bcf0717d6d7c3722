using System.Globalization;
using GuardedAI.Integrity;
using GuardedAI.Retention;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Retention for a SQLite ledger (<c>guardedai retention</c>; off the call path, never in a call): raw records and audit entries go by whole chain segments (a writer's UTC day), oldest positions
/// first, in transactions of at most <see cref="RetentionPolicy.BatchSize"/> rows; between batches a segment is
/// re-anchored (its head records where it now starts and the hash it follows), so the chain verifies at every moment.
/// When a segment is gone, an audit entry (<c>retention.segment</c>) in today's chain names it, its length and its last
/// hash. The hourly rollups reports fall back on are kept for the policy's months, then removed a day at a time.
/// </summary>
public static class SqliteLedgerRetention
{
    /// <summary>What <see cref="Apply(string, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/> would remove now, without changing anything.</summary>
    public static RetentionReport Preview(string path, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var plan = policy.Plan(now, keepFrom);
        using var connection = SqliteSchema.Open(path, synchronousFull: true);
        var segments = OldSegments(connection, plan);
        long records = 0, audits = 0;
        foreach (var segment in segments)
        {
            records += Count(connection, "SELECT count(*) FROM usage_records WHERE chain_segment = $s;", ("$s", segment));
            audits += Count(connection, "SELECT count(*) FROM audit_log WHERE chain_segment = $s;", ("$s", segment));
        }
        records += Count(connection, LegacyCount("usage_records"), ("$raw", plan.RawBefore.UtcTicks));
        audits += Count(connection, LegacyCount("audit_log"), ("$raw", plan.RawBefore.UtcTicks));
        var rollups = Count(connection, "SELECT count(*) FROM usage_hourly WHERE hour_ticks < $cut;", ("$cut", plan.RollupsBefore.UtcTicks));
        return new RetentionReport(plan, records, audits, segments.Count, rollups, 0);
    }

    /// <summary>Removes what the policy lets go at <paramref name="now"/>, in bounded batches; returns what it removed.</summary>
    public static RetentionReport Apply(string path, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom = null, CancellationToken cancellationToken = default) =>
        Apply(path, policy, now, keepFrom, int.MaxValue, cancellationToken);

    /// <summary>As <see cref="Apply(string, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/>, stopping after <paramref name="maxBatches"/> segment batches (tests stop half-way with it).</summary>
    internal static RetentionReport Apply(string path, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, int maxBatches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var plan = policy.Plan(now, keepFrom);
        using var connection = SqliteSchema.Open(path, synchronousFull: true);
        long records = 0, audits = 0, segmentsGone = 0, rollups = 0;
        var batches = 0;
        foreach (var segment in OldSegments(connection, plan))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (batches >= maxBatches) return new RetentionReport(plan, records, audits, segmentsGone, rollups, batches);
                batches++;
                var (r, a, done) = RemoveBatch(connection, segment, policy, now);
                records += r;
                audits += a;
                if (done) { segmentsGone++; break; }
            }
        }
        foreach (var table in new[] { "usage_records", "audit_log" })
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batches++;
                var removed = Execute(connection, $"DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} WHERE chain_segment IS NULL AND ts_ticks < $raw "
                    + $"AND seq <= (SELECT value FROM chain_state WHERE name = '{table}_unchained_through') LIMIT $n);",
                    ("$raw", plan.RawBefore.UtcTicks), ("$n", policy.BatchSize));
                if (table == "usage_records") records += removed; else audits += removed;
                if (removed < policy.BatchSize) break;
            }
        }
        while (Scalar(connection, "SELECT min(hour_ticks) FROM usage_hourly WHERE hour_ticks < $cut;", ("$cut", plan.RollupsBefore.UtcTicks)) is long first)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batches++;
            var end = Math.Min(first + TimeSpan.TicksPerDay, plan.RollupsBefore.UtcTicks);
            rollups += Execute(connection, "DELETE FROM usage_hourly WHERE hour_ticks >= $from AND hour_ticks < $to;", ("$from", first), ("$to", end));
        }
        return new RetentionReport(plan, records, audits, segmentsGone, rollups, batches);
    }

    /// <summary>Removes the oldest positions of <paramref name="segment"/> (at most a batch) and re-anchors it, or removes the rest of it.</summary>
    private static (long Records, long Audits, bool Done) RemoveBatch(SqliteConnection connection, string segment, RetentionPolicy policy, DateTimeOffset now)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var head = Command(connection, transaction, "SELECT length, start_pos, head FROM chain_heads WHERE segment = $s;", ("$s", segment));
        long length, start;
        byte[] last;
        using (var reader = head.ExecuteReader())
        {
            if (!reader.Read()) return (0, 0, true);
            (length, start, last) = (reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2));
        }
        var until = Math.Min(start + policy.BatchSize, length);
        var done = until >= length;
        byte[]? anchor = null;
        if (!done)
        {
            // The segment will start at `until`, following the hash of the last entry removed.
            using var read = Command(connection, transaction,
                "SELECT chain_hash FROM usage_records WHERE chain_segment = $s AND chain_pos = $p UNION ALL SELECT chain_hash FROM audit_log WHERE chain_segment = $s AND chain_pos = $p LIMIT 1;",
                ("$s", segment), ("$p", until - 1));
            anchor = read.ExecuteScalar() as byte[]
                ?? throw new InvalidOperationException($"Segment {segment} has no entry at position {until - 1}: its chain is broken, so retention stops here. Run guardedai verify.");
        }
        var records = Run(connection, transaction, "DELETE FROM usage_records WHERE chain_segment = $s AND chain_pos < $p;", ("$s", segment), ("$p", until));
        var audits = Run(connection, transaction, "DELETE FROM audit_log WHERE chain_segment = $s AND chain_pos < $p;", ("$s", segment), ("$p", until));
        if (done)
        {
            Run(connection, transaction, "DELETE FROM chain_heads WHERE segment = $s;", ("$s", segment));
            var chain = new SqliteChain(transaction);
            chain.AppendAudit(new OperatorAction(now, "guardedai", "retention.segment", null, string.Create(CultureInfo.InvariantCulture,
                $"segment {segment} removed by retention (raw records kept {policy.RawRecordDays} days): {length} entries, last hash {LedgerChain.ToHex(last)}")));
            chain.SaveHeads();
        }
        else
        {
            Run(connection, transaction, "UPDATE chain_heads SET start_pos = $p, start_prev = $prev WHERE segment = $s;", ("$s", segment), ("$p", until), ("$prev", anchor!));
        }
        transaction.Commit();
        return (records, audits, done);
    }

    private static List<string> OldSegments(SqliteConnection connection, RetentionPlan plan)
    {
        var before = DateOnly.FromDateTime(plan.RawBefore.UtcDateTime);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT segment FROM chain_heads ORDER BY segment;";
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
        {
            var segment = reader.GetString(0);
            if (LedgerChain.DayOf(segment) is { } day && day < before) list.Add(segment);
        }
        return list;
    }

    private static string LegacyCount(string table) =>
        $"SELECT count(*) FROM {table} WHERE chain_segment IS NULL AND ts_ticks < $raw AND seq <= (SELECT value FROM chain_state WHERE name = '{table}_unchained_through');";

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static int Run(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string, object)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static int Execute(SqliteConnection connection, string sql, params (string, object)[] parameters)
    {
        using var command = Command(connection, null, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static long Count(SqliteConnection connection, string sql, params (string, object)[] parameters)
    {
        using var command = Command(connection, null, sql, parameters);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string, object)[] parameters)
    {
        using var command = Command(connection, null, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}

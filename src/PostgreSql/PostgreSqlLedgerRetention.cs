using System.Globalization;
using GuardedAI.Integrity;
using GuardedAI.Retention;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Retention for a PostgreSQL ledger (<c>guardedai retention --connection …</c>, or the background worker under
/// <c>GuardedAI:PostgreSql:Retention</c>; never in a call), with the same <see cref="RetentionPolicy"/> and the same
/// steps as SQLite: raw records and audit entries go by whole chain segments (a writer's UTC day), oldest positions
/// first, in transactions of at most <see cref="RetentionPolicy.BatchSize"/> rows; between batches a segment is
/// re-anchored (its head records where it now starts and the hash it follows), so the chain verifies at every moment.
/// When a segment is gone, an audit entry (<c>retention.segment</c>) in today's chain names it, its length and its last
/// hash. The hourly rollups reports fall back on are kept for the policy's months, then removed a day at a time, with
/// the daily rollup's days when the schema has one. Each batch holds its segment's lock (the one writers take), so it
/// never races an instance writing into the same segment.
/// </summary>
public static class PostgreSqlLedgerRetention
{
    /// <summary>What <see cref="ApplyAsync(PostgreSqlLedgerOptions, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/> would remove now, without changing anything.</summary>
    public static async Task<RetentionReport> PreviewAsync(PostgreSqlLedgerOptions options, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var plan = policy.Plan(now, keepFrom);
        await using var dataSource = Open(options);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var segments = await OldSegmentsAsync(connection, plan, cancellationToken).ConfigureAwait(false);
        var records = await CountAsync(connection, "SELECT count(*) FROM usage_records WHERE chain_segment = ANY(@s)", cancellationToken, ("s", segments.ToArray())).ConfigureAwait(false)
            + await CountAsync(connection, LegacyCount("usage_records"), cancellationToken, ("raw", plan.RawBefore.UtcTicks)).ConfigureAwait(false);
        var audits = await CountAsync(connection, "SELECT count(*) FROM audit_log WHERE chain_segment = ANY(@s)", cancellationToken, ("s", segments.ToArray())).ConfigureAwait(false)
            + await CountAsync(connection, LegacyCount("audit_log"), cancellationToken, ("raw", plan.RawBefore.UtcTicks)).ConfigureAwait(false);
        var rollups = await CountAsync(connection, "SELECT count(*) FROM usage_hourly WHERE hour_ticks < @cut", cancellationToken, ("cut", plan.RollupsBefore.UtcTicks)).ConfigureAwait(false);
        return new RetentionReport(plan, records, audits, segments.Count, rollups, 0);
    }

    /// <summary>Removes what the policy lets go at <paramref name="now"/>, in bounded batches; returns what it removed.</summary>
    public static Task<RetentionReport> ApplyAsync(PostgreSqlLedgerOptions options, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom = null,
        CancellationToken cancellationToken = default) =>
        ApplyAsync(options, policy, now, keepFrom, int.MaxValue, cancellationToken);

    /// <summary>As <see cref="ApplyAsync(PostgreSqlLedgerOptions, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/>, stopping after <paramref name="maxBatches"/> segment batches (tests stop half-way with it).</summary>
    internal static async Task<RetentionReport> ApplyAsync(PostgreSqlLedgerOptions options, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, int maxBatches,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var plan = policy.Plan(now, keepFrom);
        var writer = options.ChainWriter ?? PostgreSqlChain.NewWriter();
        await using var dataSource = Open(options);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        long records = 0, audits = 0, segmentsGone = 0, rollups = 0;
        var batches = 0;
        foreach (var segment in await OldSegmentsAsync(connection, plan, cancellationToken).ConfigureAwait(false))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (batches >= maxBatches) return new RetentionReport(plan, records, audits, segmentsGone, rollups, batches);
                batches++;
                var (r, a, done) = await RemoveBatchAsync(connection, writer, segment, policy, now, cancellationToken).ConfigureAwait(false);
                records += r;
                audits += a;
                if (done) { segmentsGone++; break; }
            }
        }
        // Rows written before the chain existed (schema 4) go by their time.
        foreach (var table in new[] { "usage_records", "audit_log" })
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                batches++;
                var removed = await ExecuteAsync(connection, null, $"DELETE FROM {table} WHERE seq IN (SELECT seq FROM {table} WHERE chain_segment IS NULL AND ts_ticks < @raw "
                    + $"AND seq <= (SELECT value FROM chain_state WHERE name = '{table}_unchained_through') LIMIT @n)",
                    cancellationToken, ("raw", plan.RawBefore.UtcTicks), ("n", policy.BatchSize)).ConfigureAwait(false);
                if (table == "usage_records") records += removed; else audits += removed;
                if (removed < policy.BatchSize) break;
            }
        }
        // The daily rollup holds the same days as the hourly one: a day goes when its hours have gone.
        while (await ScalarAsync(connection, "SELECT min(hour_ticks) FROM usage_hourly WHERE hour_ticks < @cut", cancellationToken, ("cut", plan.RollupsBefore.UtcTicks)).ConfigureAwait(false) is long first)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batches++;
            var end = Math.Min(first + TimeSpan.TicksPerDay, plan.RollupsBefore.UtcTicks);
            rollups += await ExecuteAsync(connection, null, "DELETE FROM usage_hourly WHERE hour_ticks >= @from AND hour_ticks < @to", cancellationToken, ("from", first), ("to", end)).ConfigureAwait(false);
            rollups += await ExecuteAsync(connection, null, "DELETE FROM usage_daily WHERE day_ticks >= @from AND day_ticks + 864000000000 <= @to", cancellationToken,
                ("from", first - first % TimeSpan.TicksPerDay), ("to", end)).ConfigureAwait(false);
        }
        return new RetentionReport(plan, records, audits, segmentsGone, rollups, batches);
    }

    /// <summary>Removes the oldest positions of <paramref name="segment"/> (at most a batch) and re-anchors it, or removes the rest of it.</summary>
    private static async Task<(long Records, long Audits, bool Done)> RemoveBatchAsync(NpgsqlConnection connection, string writer, string segment, RetentionPolicy policy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var chain = new PostgreSqlChain(transaction, writer);
        // The segment's lock, as its writer takes it: nobody appends to it while this batch cuts it.
        await chain.LockAsync([segment], null, null, cancellationToken).ConfigureAwait(false);
        long length, start;
        byte[] last;
        await using (var head = new NpgsqlCommand("SELECT length, start_pos, head FROM chain_heads WHERE segment = @s", connection, transaction))
        {
            head.Parameters.AddWithValue("s", segment);
            await using var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return (0, 0, true);
            (length, start, last) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
        var until = Math.Min(start + policy.BatchSize, length);
        var done = until >= length;
        byte[]? anchor = null;
        if (!done)
        {
            // The segment will start at `until`, following the hash of the last entry removed.
            anchor = await ScalarAsync(connection,
                "SELECT chain_hash FROM usage_records WHERE chain_segment = @s AND chain_pos = @p UNION ALL SELECT chain_hash FROM audit_log WHERE chain_segment = @s AND chain_pos = @p LIMIT 1",
                cancellationToken, transaction, ("s", segment), ("p", until - 1)).ConfigureAwait(false) as byte[]
                ?? throw new InvalidOperationException($"Segment {segment} has no entry at position {until - 1}: its chain is broken, so retention stops here. Run guardedai verify.");
        }
        var records = await ExecuteAsync(connection, transaction, "DELETE FROM usage_records WHERE chain_segment = @s AND chain_pos < @p", cancellationToken, ("s", segment), ("p", until)).ConfigureAwait(false);
        var audits = await ExecuteAsync(connection, transaction, "DELETE FROM audit_log WHERE chain_segment = @s AND chain_pos < @p", cancellationToken, ("s", segment), ("p", until)).ConfigureAwait(false);
        if (done)
        {
            await ExecuteAsync(connection, transaction, "DELETE FROM chain_heads WHERE segment = @s", cancellationToken, ("s", segment)).ConfigureAwait(false);
            await chain.AppendAuditAsync(new OperatorAction(now, "guardedai", "retention.segment", null, string.Create(CultureInfo.InvariantCulture,
                $"segment {segment} removed by retention (raw records kept {policy.RawRecordDays} days): {length} entries, last hash {LedgerChain.ToHex(last)}")), cancellationToken).ConfigureAwait(false);
            await chain.SaveHeadsAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ExecuteAsync(connection, transaction, "UPDATE chain_heads SET start_pos = @p, start_prev = @prev WHERE segment = @s", cancellationToken,
                ("s", segment), ("p", until), ("prev", anchor!)).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (records, audits, done);
    }

    private static NpgsqlDataSource Open(PostgreSqlLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return PostgreSqlConnections.CreateForReading(options.ConnectionString, options.Schema);
    }

    private static async Task<List<string>> OldSegmentsAsync(NpgsqlConnection connection, RetentionPlan plan, CancellationToken cancellationToken)
    {
        var before = DateOnly.FromDateTime(plan.RawBefore.UtcDateTime);
        await using var command = new NpgsqlCommand("SELECT segment FROM chain_heads ORDER BY segment", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var segment = reader.GetString(0);
            if (LedgerChain.DayOf(segment) is { } day && day < before) list.Add(segment);
        }
        return list;
    }

    private static string LegacyCount(string table) =>
        $"SELECT count(*) FROM {table} WHERE chain_segment IS NULL AND ts_ticks < @raw AND seq <= (SELECT value FROM chain_state WHERE name = '{table}_unchained_through')";

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string, object)[] parameters) =>
        ScalarAsync(connection, sql, cancellationToken, null, parameters);

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction, params (string, object)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }
}

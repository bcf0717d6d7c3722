using System.Globalization;
using System.Text.Json;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GuardedAI.Sqlite;

/// <summary>
/// Writes usage records into <c>usage_records</c> inside the caller's transaction and brings the hourly rollup up to
/// date in the same transaction, so a report never sees a record without its rollup or the reverse. A record whose
/// id is already there is skipped (the ledger promises each id once); <see cref="Write"/> says how many were new.
/// One writer for the ledger's batches and for bulk imports. Each new record is chained (<see cref="SqliteChain"/>) into
/// this process's segment of its UTC day; a record skipped as already there takes no place in the chain.
/// </summary>
internal sealed class SqliteRecordWriter : IDisposable
{
    private const string InsertSql = """
        INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens,
            reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags,
            price_version, conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
            reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from, chain_segment, chain_pos, chain_prev, chain_hash, would_be_denied_by, would_be_denied_reason)
        VALUES ($id, $ts, $budget, $tenant, $provider, $model, $in, $out, $cached, $reasoning, $estIn, $estOut, $estCost, $cost, $reported,
            $duration, $status, $reason, $tags, $price, $conversation, $run, $cacheWrite, $repIn, $repOut, $repTotal, $repCached, $repReasoning,
            $anomalies, $kind, $degradedFrom, $chainSegment, $chainPos, $chainPrev, $chainHash, $wouldBeDeniedBy, $wouldBeDeniedReason)
        ON CONFLICT (id) DO NOTHING;
        """;

    private static readonly string[] Names =
        ["$id", "$ts", "$budget", "$tenant", "$provider", "$model", "$in", "$out", "$cached", "$reasoning", "$estIn", "$estOut", "$estCost", "$cost",
         "$reported", "$duration", "$status", "$reason", "$tags", "$price", "$conversation", "$run", "$cacheWrite", "$repIn", "$repOut", "$repTotal",
         "$repCached", "$repReasoning", "$anomalies", "$kind", "$degradedFrom", "$chainSegment", "$chainPos", "$chainPrev", "$chainHash", "$wouldBeDeniedBy", "$wouldBeDeniedReason"];

    // The insert is prepared once per writer and bound by parameter index through SQLitePCLRaw: Microsoft.Data.Sqlite
    // looks every parameter up by name on every execution (a UTF-8 conversion and a linear search of the statement's
    // names each), which cost a quarter of the writer's time at 37 parameters a row (issue 16).
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly int[] _index;

    public SqliteRecordWriter(SqliteConnection connection)
    {
        _connection = connection;
        var db = connection.Handle!;
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, InsertSql, out _insert), db);
        _index = new int[Names.Length];
        for (var i = 0; i < Names.Length; i++)
        {
            _index[i] = raw.sqlite3_bind_parameter_index(_insert, Names[i]);
            if (_index[i] == 0) throw new InvalidOperationException($"The record insert has no parameter {Names[i]}.");
        }
    }

    /// <summary>Inserts <paramref name="records"/> and rolls them up; returns how many were new (not already in the ledger).</summary>
    public int Write(SqliteTransaction transaction, IEnumerable<UsageRecord> records)
    {
        var db = _connection.Handle!;
        var chain = new SqliteChain(transaction);
        var rollup = SqliteBatchRollup.TryStart(transaction);
        var inserted = 0;
        foreach (var r in records)
        {
            var (segment, position, previous) = chain.Next(r.Timestamp);
            var hash = Integrity.LedgerChain.Hash(previous, r);
            Text(0, r.Id);
            Integer(1, r.Timestamp.UtcTicks);
            Text(2, r.Budget);
            Text(3, r.Tenant);
            Text(4, r.Provider);
            Text(5, r.Model);
            Integer(6, r.InputTokens);
            Integer(7, r.OutputTokens);
            Integer(8, r.CachedInputTokens);
            Integer(9, r.ReasoningTokens);
            Integer(10, r.ReservedInputTokens);
            Integer(11, r.ReservedOutputTokens);
            Text(12, r.ReservedCostUsd.ToString(CultureInfo.InvariantCulture));
            Text(13, r.CostUsd.ToString(CultureInfo.InvariantCulture));
            Integer(14, r.UsageReported ? 1 : 0);
            Integer(15, r.Duration.Ticks);
            Integer(16, (int)r.Status);
            Text(17, r.Reason);
            Text(18, r.Tags.Count == 0 ? null : JsonSerializer.Serialize(r.Tags));
            Text(19, r.PriceTableVersion);
            Text(20, r.ConversationId);
            Text(21, r.RunId);
            Integer(22, r.CacheWriteInputTokens);
            Integer(23, r.ReportedInputTokens);
            Integer(24, r.ReportedOutputTokens);
            Integer(25, r.ReportedTotalTokens);
            Integer(26, r.ReportedCachedInputTokens);
            Integer(27, r.ReportedReasoningTokens);
            Text(28, r.Anomalies);
            Integer(29, (int)r.Kind);
            Text(30, r.DegradedFrom);
            Text(31, segment);
            Integer(32, position);
            Check(raw.sqlite3_bind_blob(_insert, _index[33], previous), db);
            Check(raw.sqlite3_bind_blob(_insert, _index[34], hash), db);
            Text(35, r.WouldBeDeniedBy);
            Text(36, r.WouldBeDeniedReason);
            var rc = raw.sqlite3_step(_insert);
            var changed = rc == raw.SQLITE_DONE ? raw.sqlite3_changes(db) : 0;
            raw.sqlite3_reset(_insert);
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
            if (changed == 0) continue; // the id is already in the ledger
            inserted++;
            chain.Advance(segment, hash);
            rollup?.Add(r);
        }
        chain.SaveHeads();
        if (rollup is not null) rollup.Write(transaction);
        else SqliteRollup.CatchUp(transaction);
        return inserted;
    }

    private void Text(int parameter, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_insert, _index[parameter]) : raw.sqlite3_bind_text(_insert, _index[parameter], value), _connection.Handle!);

    private void Integer(int parameter, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_insert, _index[parameter], v) : raw.sqlite3_bind_null(_insert, _index[parameter]), _connection.Handle!);

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>Writes <paramref name="records"/> in one transaction of their own (the ledger's batches and its pending file).</summary>
    public static int WriteBatch(SqliteConnection connection, IEnumerable<UsageRecord> records)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var writer = new SqliteRecordWriter(connection);
        var inserted = writer.Write(transaction, records);
        transaction.Commit();
        return inserted;
    }

    public void Dispose() => _insert.Dispose();
}

/// <summary>The columns a usage record is read from, and the reading (shared by every SQL ledger: <see cref="LedgerSql"/>).</summary>
internal static class SqliteRecordColumns
{
    public const string Select = LedgerSql.RecordColumns;

    /// <summary>How many columns <see cref="Select"/> reads (a query may select more after them).</summary>
    public const int Count = LedgerSql.RecordColumnCount;

    public static UsageRecord Read(SqliteDataReader reader) => LedgerSql.ReadRecord(reader, SqliteDialect.Instance);
}

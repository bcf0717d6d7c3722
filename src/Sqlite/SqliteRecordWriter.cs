using System.Globalization;
using System.Text.Json;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

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

    private readonly SqliteCommand _insert;
    private readonly SqliteParameter[] _p;

    public SqliteRecordWriter(SqliteConnection connection)
    {
        _insert = connection.CreateCommand();
        _insert.CommandText = InsertSql;
        _p = new SqliteParameter[Names.Length];
        for (var i = 0; i < Names.Length; i++)
        {
            _p[i] = _insert.CreateParameter();
            _p[i].ParameterName = Names[i];
            _insert.Parameters.Add(_p[i]);
        }
    }

    /// <summary>Inserts <paramref name="records"/> and rolls them up; returns how many were new (not already in the ledger).</summary>
    public int Write(SqliteTransaction transaction, IEnumerable<UsageRecord> records)
    {
        _insert.Transaction = transaction;
        var chain = new SqliteChain(transaction);
        var inserted = 0;
        foreach (var r in records)
        {
            var (segment, position, previous) = chain.Next(r.Timestamp);
            var hash = Integrity.LedgerChain.Hash(previous, r);
            _p[0].Value = r.Id;
            _p[1].Value = r.Timestamp.UtcTicks;
            _p[2].Value = r.Budget;
            _p[3].Value = (object?)r.Tenant ?? DBNull.Value;
            _p[4].Value = (object?)r.Provider ?? DBNull.Value;
            _p[5].Value = (object?)r.Model ?? DBNull.Value;
            _p[6].Value = r.InputTokens;
            _p[7].Value = r.OutputTokens;
            _p[8].Value = r.CachedInputTokens;
            _p[9].Value = r.ReasoningTokens;
            _p[10].Value = r.ReservedInputTokens;
            _p[11].Value = r.ReservedOutputTokens;
            _p[12].Value = r.ReservedCostUsd.ToString(CultureInfo.InvariantCulture);
            _p[13].Value = r.CostUsd.ToString(CultureInfo.InvariantCulture);
            _p[14].Value = r.UsageReported ? 1 : 0;
            _p[15].Value = r.Duration.Ticks;
            _p[16].Value = (int)r.Status;
            _p[17].Value = (object?)r.Reason ?? DBNull.Value;
            _p[18].Value = r.Tags.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(r.Tags);
            _p[19].Value = (object?)r.PriceTableVersion ?? DBNull.Value;
            _p[20].Value = (object?)r.ConversationId ?? DBNull.Value;
            _p[21].Value = (object?)r.RunId ?? DBNull.Value;
            _p[22].Value = r.CacheWriteInputTokens;
            _p[23].Value = (object?)r.ReportedInputTokens ?? DBNull.Value;
            _p[24].Value = (object?)r.ReportedOutputTokens ?? DBNull.Value;
            _p[25].Value = (object?)r.ReportedTotalTokens ?? DBNull.Value;
            _p[26].Value = (object?)r.ReportedCachedInputTokens ?? DBNull.Value;
            _p[27].Value = (object?)r.ReportedReasoningTokens ?? DBNull.Value;
            _p[28].Value = (object?)r.Anomalies ?? DBNull.Value;
            _p[29].Value = (int)r.Kind;
            _p[30].Value = (object?)r.DegradedFrom ?? DBNull.Value;
            _p[31].Value = segment;
            _p[32].Value = position;
            _p[33].Value = previous;
            _p[34].Value = hash;
            _p[35].Value = (object?)r.WouldBeDeniedBy ?? DBNull.Value;
            _p[36].Value = (object?)r.WouldBeDeniedReason ?? DBNull.Value;
            if (_insert.ExecuteNonQuery() == 0) continue;
            inserted++;
            chain.Advance(segment, hash);
        }
        chain.SaveHeads();
        SqliteRollup.CatchUp(transaction);
        return inserted;
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

using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Writes a batch of usage records in one statement: the batch goes in as one array per column (a multi-row insert
/// through <c>unnest</c>, one round trip), a record whose id is already there is skipped (<c>ON CONFLICT DO NOTHING</c>:
/// the ledger holds each id once, so a replayed spill or a retried batch counts nothing twice), and the hourly rollup
/// is brought up to date from the rows actually inserted in the same statement, so a report never sees a record
/// without its rollup or the reverse. Rollup rows are upserted in key order, so concurrent writers of many instances
/// lock them in one order and cannot deadlock one another. One writer for the ledger's batches and its spill replay.
/// PostgreSQL text cannot hold NUL characters (SQLite can): a NUL in any text a caller or provider supplied (a tag, a
/// reason, a model name) is stored as U+FFFD, so one odd string never makes a batch unwritable.
/// Each new record is chained (<see cref="PostgreSqlChain"/>) into its writer's segment of its UTC day in the same
/// transaction (<see cref="PostgreSqlRecordWriter.Chained"/>); a record skipped as already there takes no place in the chain.
/// </summary>
internal static partial class PostgreSqlRecordWriter
{
    private const string Sql = """
        WITH input AS (
            SELECT * FROM unnest(@id, @ts, @budget, @tenant, @provider, @model, @in, @out, @cached, @reasoning, @est_in, @est_out, @est_cost, @cost,
                @reported, @duration, @status, @reason, @tags, @price, @conversation, @run, @cache_write, @rep_in, @rep_out, @rep_total, @rep_cached,
                @rep_reasoning, @anomalies, @kind, @degraded, @wbd_by, @wbd_reason, @chain_segment, @chain_pos, @chain_prev, @chain_hash)
            AS t (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens,
                est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version, conversation_id, run_id,
                cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens, reported_cached_input_tokens,
                reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason, chain_segment, chain_pos, chain_prev, chain_hash)
        ),
        ins AS (
            INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version,
                conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
                reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason,
                chain_segment, chain_pos, chain_prev, chain_hash)
            SELECT id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags::jsonb, price_version,
                conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
                reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason,
                chain_segment, chain_pos, chain_prev, chain_hash
            FROM input ORDER BY chain_segment, chain_pos
            ON CONFLICT (id) DO NOTHING
            RETURNING ts_ticks, budget, tenant, provider, model, status, price_version, input_tokens, output_tokens, cached_input_tokens,
                reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, duration_ticks
        ),
        roll AS (
            INSERT INTO usage_hourly (hour_ticks, budget, tenant, provider, model, status, price_version, requests, input_tokens, output_tokens,
                cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, duration_ticks)
            SELECT ts_ticks - ts_ticks % 36000000000, budget, coalesce(tenant, ''), coalesce(provider, ''), coalesce(model, ''), status,
                coalesce(price_version, ''), count(*), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(reasoning_tokens),
                sum(est_input_tokens), sum(est_output_tokens), sum(est_cost_usd), sum(cost_usd), sum(duration_ticks)
            FROM ins GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (hour_ticks, budget, tenant, provider, model, status, price_version) DO UPDATE SET
                requests = usage_hourly.requests + excluded.requests,
                input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
                output_tokens = usage_hourly.output_tokens + excluded.output_tokens,
                cached_input_tokens = usage_hourly.cached_input_tokens + excluded.cached_input_tokens,
                reasoning_tokens = usage_hourly.reasoning_tokens + excluded.reasoning_tokens,
                est_input_tokens = usage_hourly.est_input_tokens + excluded.est_input_tokens,
                est_output_tokens = usage_hourly.est_output_tokens + excluded.est_output_tokens,
                est_cost_usd = usage_hourly.est_cost_usd + excluded.est_cost_usd,
                cost_usd = usage_hourly.cost_usd + excluded.cost_usd,
                duration_ticks = usage_hourly.duration_ticks + excluded.duration_ticks
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM roll)
        """;

    /// <summary>Inserts <paramref name="records"/> (chained by <paramref name="writer"/>) and rolls them up in one transaction,
    /// committed when this returns; returns how many were new.</summary>
    public static Task<int> WriteAsync(NpgsqlConnection connection, string writer, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken) =>
        Chained.WriteAsync(connection, writer, records, cancellationToken);

    /// <summary>The statement that inserts <paramref name="records"/> (already cleaned of NULs) with their chain fields, and rolls them up.</summary>
    private static NpgsqlBatchCommand Insert(IReadOnlyList<UsageRecord> records, (string Segment, long Position, byte[] Previous, byte[] Hash)[] chain)
    {
        var command = new NpgsqlBatchCommand(Sql);
        void Column<T>(string name, NpgsqlDbType type, Func<UsageRecord, T> value)
        {
            var array = new T[records.Count];
            for (var i = 0; i < array.Length; i++) array[i] = value(records[i]);
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = array });
        }
        Column("id", NpgsqlDbType.Text, r => Text(r.Id));
        Column("ts", NpgsqlDbType.Bigint, r => r.Timestamp.UtcTicks);
        Column("budget", NpgsqlDbType.Text, r => Text(r.Budget));
        Column("tenant", NpgsqlDbType.Text, r => Text(r.Tenant));
        Column("provider", NpgsqlDbType.Text, r => Text(r.Provider));
        Column("model", NpgsqlDbType.Text, r => Text(r.Model));
        Column("in", NpgsqlDbType.Bigint, r => r.InputTokens);
        Column("out", NpgsqlDbType.Bigint, r => r.OutputTokens);
        Column("cached", NpgsqlDbType.Bigint, r => r.CachedInputTokens);
        Column("reasoning", NpgsqlDbType.Bigint, r => r.ReasoningTokens);
        Column("est_in", NpgsqlDbType.Bigint, r => r.ReservedInputTokens);
        Column("est_out", NpgsqlDbType.Bigint, r => r.ReservedOutputTokens);
        Column("est_cost", NpgsqlDbType.Numeric, r => r.ReservedCostUsd);
        Column("cost", NpgsqlDbType.Numeric, r => r.CostUsd);
        Column("reported", NpgsqlDbType.Boolean, r => r.UsageReported);
        Column("duration", NpgsqlDbType.Bigint, r => r.Duration.Ticks);
        Column("status", NpgsqlDbType.Integer, r => (int)r.Status);
        Column("reason", NpgsqlDbType.Text, r => Text(r.Reason));
        Column("tags", NpgsqlDbType.Text, r => r.Tags.Count == 0 ? null : JsonSerializer.Serialize(r.Tags.ToDictionary(t => Text(t.Key)!, t => Text(t.Value)!)));
        Column("price", NpgsqlDbType.Text, r => Text(r.PriceTableVersion));
        Column("conversation", NpgsqlDbType.Text, r => Text(r.ConversationId));
        Column("run", NpgsqlDbType.Text, r => Text(r.RunId));
        Column("cache_write", NpgsqlDbType.Bigint, r => r.CacheWriteInputTokens);
        Column("rep_in", NpgsqlDbType.Bigint, r => r.ReportedInputTokens);
        Column("rep_out", NpgsqlDbType.Bigint, r => r.ReportedOutputTokens);
        Column("rep_total", NpgsqlDbType.Bigint, r => r.ReportedTotalTokens);
        Column("rep_cached", NpgsqlDbType.Bigint, r => r.ReportedCachedInputTokens);
        Column("rep_reasoning", NpgsqlDbType.Bigint, r => r.ReportedReasoningTokens);
        Column("anomalies", NpgsqlDbType.Text, r => Text(r.Anomalies));
        Column("kind", NpgsqlDbType.Integer, r => (int)r.Kind);
        Column("degraded", NpgsqlDbType.Text, r => Text(r.DegradedFrom));
        Column("wbd_by", NpgsqlDbType.Text, r => Text(r.WouldBeDeniedBy));
        Column("wbd_reason", NpgsqlDbType.Text, r => Text(r.WouldBeDeniedReason));
        command.Parameters.Add(new NpgsqlParameter("chain_segment", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = chain.Select(c => c.Segment).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("chain_pos", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = chain.Select(c => c.Position).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("chain_prev", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = chain.Select(c => c.Previous).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("chain_hash", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = chain.Select(c => c.Hash).ToArray() });
        return command;
    }

    internal static string? Text(string? value) => value is null || !value.Contains('\0', StringComparison.Ordinal) ? value : value.Replace('\0', '\uFFFD');
}

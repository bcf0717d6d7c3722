using System.Text.Json;
using GuardedAI.Reports.Sql;
using Npgsql;
using NpgsqlTypes;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Writes a batch of usage records in one statement: the batch goes in as one array per column (a multi-row insert
/// through <c>unnest</c>, one round trip), a record whose id is already there is skipped (<c>ON CONFLICT DO NOTHING</c>:
/// the ledger holds each id once, so a replayed spill or a retried batch counts nothing twice), and the rollups are
/// brought up to date from the rows actually inserted in the same statement (the hourly and, from schema 3, the daily
/// one), so a report never sees a record without its rollups or the reverse. Rollup rows are upserted in key order, so
/// concurrent writers of many instances lock them in one order and cannot deadlock one another. One writer for the ledger's batches and its spill replay.
/// PostgreSQL text cannot hold NUL characters or unpaired surrogates (SQLite can): either, in any text a caller or
/// provider supplied (a tag, a reason, a model name), is stored as U+FFFD (<see cref="PostgreSqlText"/>), so one odd
/// string never makes a batch unwritable.
/// Each new record is chained (<see cref="PostgreSqlChain"/>) into its writer's segment of its UTC day in the same
/// transaction (<see cref="PostgreSqlRecordWriter.Chained"/>); a record skipped as already there takes no place in the chain.
/// </summary>
internal static partial class PostgreSqlRecordWriter
{
    /// <summary>The records of a batch as one array parameter per column.</summary>
    private const string Unnest = """
        SELECT * FROM unnest(@id, @ts, @budget, @tenant, @provider, @model, @in, @out, @cached, @reasoning, @est_in, @est_out, @est_cost, @cost,
            @reported, @duration, @status, @reason, @tags, @price, @conversation, @run, @cache_write, @rep_in, @rep_out, @rep_total, @rep_cached,
            @rep_reasoning, @anomalies, @kind, @degraded, @wbd_by, @wbd_reason, @chain_segment, @chain_pos, @chain_prev, @chain_hash)
        AS t (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens,
            est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version, conversation_id, run_id,
            cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens, reported_cached_input_tokens,
            reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason, chain_segment, chain_pos, chain_prev, chain_hash)
        """;

    /// <summary>The chain columns every input of <see cref="Statement"/> selects after the record's own.</summary>
    private const string ChainColumns = "chain_segment, chain_pos, chain_prev, chain_hash";

    private static readonly string Sql = Statement(Unnest);

    /// <summary>
    /// Inserts the rows <paramref name="input"/> selects (every record column and the chain columns, by name), in chain
    /// order, and adds those actually inserted
    /// to every rollup (<see cref="LedgerRollup"/>, the upsert both stores share), in one statement.
    /// </summary>
    internal static string Statement(string input) => $"""
        WITH input AS (
            {input}
        ),
        ins AS (
            INSERT INTO usage_records (id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version,
                conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
                reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason,
                {ChainColumns})
            SELECT id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags::jsonb, price_version,
                conversation_id, run_id, cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens,
                reported_cached_input_tokens, reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason,
                {ChainColumns}
            FROM input ORDER BY chain_segment, chain_pos
            ON CONFLICT (id) DO NOTHING
            RETURNING ts_ticks, budget, tenant, provider, model, status, price_version, input_tokens, output_tokens, cached_input_tokens,
                reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, duration_ticks
        ){string.Concat(LedgerRollup.All.Select((r, i) => $",\n        roll{i} AS ({r.Upsert(PostgreSqlDialect.Instance, "ins")} RETURNING 1)"))}
        SELECT (SELECT count(*) FROM ins){string.Concat(LedgerRollup.All.Select((_, i) => $", (SELECT count(*) FROM roll{i})"))}
        """;

    /// <summary>Inserts <paramref name="records"/> (chained by <paramref name="writer"/>) and rolls them up in one transaction,
    /// committed when this returns; returns how many were new.</summary>
    public static Task<int> WriteAsync(NpgsqlConnection connection, string writer, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken) =>
        Chained.WriteAsync(connection, writer, records, bulk: false, cancellationToken);

    /// <summary>
    /// Bulk imports: as <see cref="WriteAsync"/>, but the new records go in by binary <c>COPY</c> into a temporary table
    /// (the fastest way into PostgreSQL) and from there into the ledger through the same statement as every batch
    /// (<see cref="Statement"/>: the rollups kept), chained like any batch, all in one transaction. Returns how many were new.
    /// </summary>
    public static Task<int> CopyAsync(NpgsqlConnection connection, string writer, IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken) =>
        Chained.WriteAsync(connection, writer, records, bulk: true, cancellationToken);

    /// <summary>The statement that inserts <paramref name="rows"/> (records already cleaned for PostgreSQL, with their chain fields), and rolls them up.</summary>
    private static NpgsqlBatchCommand Insert(IReadOnlyList<ChainedRow> rows)
    {
        var command = new NpgsqlBatchCommand(Sql);
        Columns(new ArrayParameters(command.Parameters, rows));
        return command;
    }

    /// <summary>
    /// Copies <paramref name="rows"/> into a temporary table dropped at commit (or with the transaction's rollback), and
    /// returns the statement that moves them into the ledger (<see cref="Statement"/>).
    /// </summary>
    private static async Task<NpgsqlBatchCommand> CopyInsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ChainedRow> rows, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(
            $"CREATE TEMP TABLE gai_import ON COMMIT DROP AS SELECT {LedgerSql.RecordColumns}, {ChainColumns} FROM usage_records WITH NO DATA; ALTER TABLE gai_import ALTER COLUMN tags TYPE text",
            connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var copy = new CopyWriters();
        Columns(copy);
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY gai_import ({LedgerSql.RecordColumns}, {ChainColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                foreach (var write in copy.Writers) await write(importer, row, cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        return new NpgsqlBatchCommand(Statement("SELECT * FROM gai_import"));
    }

    /// <summary>
    /// Every column of a row, in the order of <see cref="LedgerSql.RecordColumns"/> then <see cref="ChainColumns"/>: its
    /// parameter name, its type and its value. The records are cleaned (<see cref="PostgreSqlText"/>) before they are chained (what is hashed is
    /// what is stored), so their text goes in as it is.
    /// </summary>
    private static void Columns(IColumnSink sink)
    {
        sink.Column("id", NpgsqlDbType.Text, r => r.Record.Id);
        sink.Column("ts", NpgsqlDbType.Bigint, r => r.Record.Timestamp.UtcTicks);
        sink.Column("budget", NpgsqlDbType.Text, r => r.Record.Budget);
        sink.Column("tenant", NpgsqlDbType.Text, r => r.Record.Tenant);
        sink.Column("provider", NpgsqlDbType.Text, r => r.Record.Provider);
        sink.Column("model", NpgsqlDbType.Text, r => r.Record.Model);
        sink.Column("in", NpgsqlDbType.Bigint, r => r.Record.InputTokens);
        sink.Column("out", NpgsqlDbType.Bigint, r => r.Record.OutputTokens);
        sink.Column("cached", NpgsqlDbType.Bigint, r => r.Record.CachedInputTokens);
        sink.Column("reasoning", NpgsqlDbType.Bigint, r => r.Record.ReasoningTokens);
        sink.Column("est_in", NpgsqlDbType.Bigint, r => r.Record.ReservedInputTokens);
        sink.Column("est_out", NpgsqlDbType.Bigint, r => r.Record.ReservedOutputTokens);
        sink.Column("est_cost", NpgsqlDbType.Numeric, r => r.Record.ReservedCostUsd);
        sink.Column("cost", NpgsqlDbType.Numeric, r => r.Record.CostUsd);
        sink.Column("reported", NpgsqlDbType.Boolean, r => r.Record.UsageReported);
        sink.Column("duration", NpgsqlDbType.Bigint, r => r.Record.Duration.Ticks);
        sink.Column("status", NpgsqlDbType.Integer, r => (int)r.Record.Status);
        sink.Column("reason", NpgsqlDbType.Text, r => r.Record.Reason);
        sink.Column("tags", NpgsqlDbType.Text, r => r.Record.Tags.Count == 0 ? null : JsonSerializer.Serialize(r.Record.Tags.ToDictionary(t => t.Key, t => t.Value)));
        sink.Column("price", NpgsqlDbType.Text, r => r.Record.PriceTableVersion);
        sink.Column("conversation", NpgsqlDbType.Text, r => r.Record.ConversationId);
        sink.Column("run", NpgsqlDbType.Text, r => r.Record.RunId);
        sink.Column("cache_write", NpgsqlDbType.Bigint, r => r.Record.CacheWriteInputTokens);
        sink.Column("rep_in", NpgsqlDbType.Bigint, r => r.Record.ReportedInputTokens);
        sink.Column("rep_out", NpgsqlDbType.Bigint, r => r.Record.ReportedOutputTokens);
        sink.Column("rep_total", NpgsqlDbType.Bigint, r => r.Record.ReportedTotalTokens);
        sink.Column("rep_cached", NpgsqlDbType.Bigint, r => r.Record.ReportedCachedInputTokens);
        sink.Column("rep_reasoning", NpgsqlDbType.Bigint, r => r.Record.ReportedReasoningTokens);
        sink.Column("anomalies", NpgsqlDbType.Text, r => r.Record.Anomalies);
        sink.Column("kind", NpgsqlDbType.Integer, r => (int)r.Record.Kind);
        sink.Column("degraded", NpgsqlDbType.Text, r => r.Record.DegradedFrom);
        sink.Column("wbd_by", NpgsqlDbType.Text, r => r.Record.WouldBeDeniedBy);
        sink.Column("wbd_reason", NpgsqlDbType.Text, r => r.Record.WouldBeDeniedReason);
        sink.Column("chain_segment", NpgsqlDbType.Text, r => r.Link.Segment);
        sink.Column("chain_pos", NpgsqlDbType.Bigint, r => r.Link.Position);
        sink.Column("chain_prev", NpgsqlDbType.Bytea, r => r.Link.Previous);
        sink.Column("chain_hash", NpgsqlDbType.Bytea, r => r.Link.Hash);
    }

    /// <summary>A record to insert with its place in its segment's chain.</summary>
    private readonly record struct ChainedRow(UsageRecord Record, ChainLink Link);

    private interface IColumnSink
    {
        void Column<T>(string name, NpgsqlDbType type, Func<ChainedRow, T> value);
    }

    /// <summary>A batch as one array parameter per column, for <see cref="Unnest"/>.</summary>
    private sealed class ArrayParameters(NpgsqlParameterCollection parameters, IReadOnlyList<ChainedRow> rows) : IColumnSink
    {
        public void Column<T>(string name, NpgsqlDbType type, Func<ChainedRow, T> value)
        {
            var array = new T[rows.Count];
            for (var i = 0; i < array.Length; i++) array[i] = value(rows[i]);
            parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = array });
        }
    }

    /// <summary>One writer per column, writing a row's value of it into a binary COPY.</summary>
    private sealed class CopyWriters : IColumnSink
    {
        public List<Func<NpgsqlBinaryImporter, ChainedRow, CancellationToken, Task>> Writers { get; } = [];

        public void Column<T>(string name, NpgsqlDbType type, Func<ChainedRow, T> value) => Writers.Add((importer, row, cancellationToken) =>
            value(row) is { } v ? importer.WriteAsync(v, type, cancellationToken) : importer.WriteNullAsync(cancellationToken));
    }

}

using System.Globalization;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// The writer's way of keeping the hourly and daily rollups (<see cref="SqliteRollup"/>) when nothing is waiting past
/// the watermark: the batch's new records are summed in memory as they are inserted, and each group is upserted once
/// per batch — instead of reading the batch back and summing its costs row by row through <c>gai_dsum</c>. The upsert is
/// <see cref="LedgerRollup.UpsertRow"/> (the columns and conflict rule of every rollup upsert, costs added exactly as decimals), and
/// the watermark moves past the batch in the same transaction. When records wait past the watermark (a migrated file),
/// <see cref="TryStart"/> returns null and the writer catches up through <see cref="SqliteRollup.CatchUp(SqliteTransaction)"/>.
/// RollupParityTests checks that both ways give the same rows.
/// </summary>
internal sealed class SqliteBatchRollup
{
    // One set of groups per rollup (LedgerRollup.All: hourly, daily), in the same order.
    private readonly Dictionary<Group, Sums>[] _groups = LedgerRollup.All.Select(_ => new Dictionary<Group, Sums>()).ToArray();

    private SqliteBatchRollup() { }

    /// <summary>A rollup for this batch, or null when records past the watermark must be caught up from the table.</summary>
    public static SqliteBatchRollup? TryStart(SqliteTransaction transaction)
    {
        var connection = transaction.Connection!;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT (SELECT coalesce(max(seq), 0) FROM usage_records) <= (SELECT coalesce(max(last_seq), 0) FROM rollup_state WHERE name = 'usage_hourly');";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 1 ? new SqliteBatchRollup() : null;
    }

    /// <summary>Counts a record the batch inserted.</summary>
    public void Add(UsageRecord record)
    {
        var ticks = record.Timestamp.UtcTicks;
        for (var i = 0; i < _groups.Length; i++) Add(_groups[i], new Group(ticks - ticks % LedgerRollup.All[i].GrainTicks, record), record);
    }

    /// <summary>Upserts every group once and moves the watermark past the batch (call after the inserts, before the commit).</summary>
    public void Write(SqliteTransaction transaction)
    {
        var connection = transaction.Connection!;
        for (var i = 0; i < _groups.Length; i++) Upsert(transaction, LedgerRollup.All[i], _groups[i]);
        using var mark = connection.CreateCommand();
        mark.Transaction = transaction;
        mark.CommandText = "UPDATE rollup_state SET last_seq = max(last_seq, (SELECT coalesce(max(seq), 0) FROM usage_records)) WHERE name = 'usage_hourly';";
        mark.ExecuteNonQuery();
    }

    private static void Add(Dictionary<Group, Sums> groups, Group group, UsageRecord r)
    {
        if (!groups.TryGetValue(group, out var sums)) groups[group] = sums = new Sums();
        // Checked, as SQLite's sum() is: an overflow fails the batch instead of storing a wrapped total.
        checked
        {
            sums.Requests++;
            sums.Input += r.InputTokens;
            sums.Output += r.OutputTokens;
            sums.Cached += r.CachedInputTokens;
            sums.Reasoning += r.ReasoningTokens;
            sums.EstInput += r.ReservedInputTokens;
            sums.EstOutput += r.ReservedOutputTokens;
            sums.EstCost += r.ReservedCostUsd;
            sums.Cost += r.CostUsd;
            sums.Duration += r.Duration.Ticks;
        }
    }

    private static void Upsert(SqliteTransaction transaction, LedgerRollup rollup, Dictionary<Group, Sums> groups)
    {
        if (groups.Count == 0) return;
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = rollup.UpsertRow(SqliteDialect.Instance);
        var names = LedgerRollup.RowParameters;
        var p = names.Select(n =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = n;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        foreach (var (g, s) in groups)
        {
            p[0].Value = g.Bucket;
            p[1].Value = g.Budget;
            p[2].Value = g.Tenant;
            p[3].Value = g.Provider;
            p[4].Value = g.Model;
            p[5].Value = g.Status;
            p[6].Value = g.Price;
            p[7].Value = s.Requests;
            p[8].Value = s.Input;
            p[9].Value = s.Output;
            p[10].Value = s.Cached;
            p[11].Value = s.Reasoning;
            p[12].Value = s.EstInput;
            p[13].Value = s.EstOutput;
            p[14].Value = SqliteFunctions.Format(s.EstCost);
            p[15].Value = SqliteFunctions.Format(s.Cost);
            p[16].Value = s.Duration;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>A rollup row's key; missing tenant, provider, model and price table are the empty string, as in <see cref="SqliteRollup"/>.</summary>
    private readonly record struct Group(long Bucket, string Budget, string Tenant, string Provider, string Model, int Status, string Price)
    {
        public Group(long bucket, UsageRecord r)
            : this(bucket, r.Budget, r.Tenant ?? "", r.Provider ?? "", r.Model ?? "", (int)r.Status, r.PriceTableVersion ?? "") { }
    }

    private sealed class Sums
    {
        public long Requests, Input, Output, Cached, Reasoning, EstInput, EstOutput, Duration;
        public decimal EstCost, Cost;
    }
}

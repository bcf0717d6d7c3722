using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// The hourly rollup <c>usage_hourly</c>: one row per UTC hour, budget, tenant, provider, model, status and price
/// table, with the sums of the records; and the daily rollup <c>usage_daily</c> (schema 9), the same per UTC day, kept
/// by the same statement batch so the two never disagree. It is brought up to date from a watermark (<c>rollup_state.last_seq</c>, the
/// highest record sequence rolled up) inside the writer's transaction, so every record is rolled up exactly once
/// whoever wrote it, and a reader can add the records past the watermark itself (see SqliteUsageQueries). Missing
/// tenant, provider, model or price table are stored as the empty string (SQLite's unique keys treat NULLs as distinct).
/// </summary>
internal static class SqliteRollup
{
    public const long HourTicks = TimeSpan.TicksPerHour;
    public const long DayTicks = TimeSpan.TicksPerDay;

    /// <summary>Most records rolled up in one statement when a large backlog (a migrated file) is caught up.</summary>
    private const long Chunk = 250_000;

    // The hourly and the daily rollup are the same upsert at two grains, kept in one statement from the same records.
    private static readonly string UpsertSql = Upsert("usage_hourly", "hour_ticks", HourTicks) + Upsert("usage_daily", "day_ticks", DayTicks);

    private static string Upsert(string table, string bucket, long grainTicks) => $"""
        INSERT INTO {table} ({bucket}, budget, tenant, provider, model, status, price_version, requests, input_tokens, output_tokens,
            cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, duration_ticks)
        SELECT ts_ticks - (ts_ticks % {grainTicks.ToString(CultureInfo.InvariantCulture)}), budget, coalesce(tenant, ''), coalesce(provider, ''), coalesce(model, ''), status,
            coalesce(price_version, ''), count(*), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(reasoning_tokens),
            sum(est_input_tokens), sum(est_output_tokens), gai_dsum(est_cost_usd), gai_dsum(cost_usd), sum(duration_ticks)
        FROM usage_records WHERE seq > $from AND seq <= $to
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ({bucket}, budget, tenant, provider, model, status, price_version) DO UPDATE SET
            requests = requests + excluded.requests,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
            reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
            est_input_tokens = est_input_tokens + excluded.est_input_tokens,
            est_output_tokens = est_output_tokens + excluded.est_output_tokens,
            est_cost_usd = gai_dadd(est_cost_usd, excluded.est_cost_usd),
            cost_usd = gai_dadd(cost_usd, excluded.cost_usd),
            duration_ticks = duration_ticks + excluded.duration_ticks;

        """;

    /// <summary>Rolls up every record past the watermark, in <paramref name="transaction"/>.</summary>
    /// <returns>How many records were rolled up.</returns>
    public static long CatchUp(SqliteTransaction transaction)
    {
        var connection = transaction.Connection!;
        var watermark = Watermark(connection, transaction);
        var last = Convert.ToInt64(Scalar(connection, transaction, "SELECT coalesce(max(seq), 0) FROM usage_records;"), CultureInfo.InvariantCulture);
        if (last <= watermark) return 0;
        using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = UpsertSql;
        var from = upsert.Parameters.Add("$from", SqliteType.Integer);
        var to = upsert.Parameters.Add("$to", SqliteType.Integer);
        for (var start = watermark; start < last; start += Chunk)
        {
            from.Value = start;
            to.Value = Math.Min(last, start + Chunk);
            upsert.ExecuteNonQuery();
        }
        using var mark = connection.CreateCommand();
        mark.Transaction = transaction;
        mark.CommandText = "UPDATE rollup_state SET last_seq = $last WHERE name = 'usage_hourly';";
        mark.Parameters.AddWithValue("$last", last);
        mark.ExecuteNonQuery();
        return last - watermark;
    }

    /// <summary>Catches up in a transaction of its own (a file migrated from an older version, before reports read it).</summary>
    public static long CatchUp(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var rolled = CatchUp(transaction);
        transaction.Commit();
        return rolled;
    }

    public static long Watermark(SqliteConnection connection, SqliteTransaction? transaction) =>
        Convert.ToInt64(Scalar(connection, transaction, "SELECT last_seq FROM rollup_state WHERE name = 'usage_hourly';") ?? 0L, CultureInfo.InvariantCulture);

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

using System.Globalization;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// SQLite's upkeep of the rollups (<see cref="LedgerRollup"/>): the hourly <c>usage_hourly</c> and the daily
/// <c>usage_daily</c> (schema 9), kept by the same statement batch so the two never disagree. They are brought up to date
/// from a watermark (<c>rollup_state.last_seq</c>, the highest record sequence rolled up) inside the writer's
/// transaction, so every record is rolled up exactly once whoever wrote it, and a reader adds the records past the
/// watermark itself (see LedgerSql.Aggregate).
/// </summary>
internal static class SqliteRollup
{
    /// <summary>Most records rolled up in one statement when a large backlog (a migrated file) is caught up.</summary>
    private const long Chunk = 250_000;

    // The hourly and the daily rollup, kept in one statement batch from the same records (LedgerRollup: the upsert every SQL store shares).
    private static readonly string UpsertSql = string.Concat(LedgerRollup.All.Select(r => r.Upsert(SqliteDialect.Instance, "usage_records WHERE seq > @from AND seq <= @to") + ";\n"));

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
        var from = upsert.Parameters.Add("@from", SqliteType.Integer);
        var to = upsert.Parameters.Add("@to", SqliteType.Integer);
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

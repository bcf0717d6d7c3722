using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GuardedAI.Reports.Sql;

/// <summary>
/// The SQL of every ledger read — aggregates (reports, forecasts, anomalies, bills, limits), record reads (exports,
/// restores) and the rollups' upsert (<see cref="LedgerRollup"/>) — written once for every SQL store, with what differs
/// between databases asked of a <see cref="LedgerSqlDialect"/>. Aggregates read the daily rollup <c>usage_daily</c> for
/// whole days, the hourly rollup <c>usage_hourly</c> for whole hours and the records themselves for the rest (partial
/// hours at the ends of a range, groupings by tag, conversation or run, time zones whose buckets split an hour). A store
/// whose rollup lags its records (SQLite catches up from a watermark) passes the watermark, and records past it are read
/// from the records table instead.
/// </summary>
internal static class LedgerSql
{
    /// <summary>The columns a usage record is read from, in the order <see cref="ReadRecord"/> expects.</summary>
    public const string RecordColumns = "id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, "
        + "est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, price_version, conversation_id, run_id, "
        + "cache_write_input_tokens, reported_input_tokens, reported_output_tokens, reported_total_tokens, reported_cached_input_tokens, "
        + "reported_reasoning_tokens, anomalies, kind, degraded_from, would_be_denied_by, would_be_denied_reason";

    /// <summary>How many columns <see cref="RecordColumns"/> names (a query may select more after them).</summary>
    public const int RecordColumnCount = 33;

    /// <summary>Ticks in an hour: the hourly rollup's grain.</summary>
    public const long HourTicks = TimeSpan.TicksPerHour;

    /// <summary>Ticks in a day: the daily rollup's grain.</summary>
    public const long DayTicks = TimeSpan.TicksPerDay;

    /// <summary>Reads a record selected with <see cref="RecordColumns"/>.</summary>
    public static UsageRecord ReadRecord(DbDataReader reader, LedgerSqlDialect dialect) => new()
    {
        Id = reader.GetString(0),
        Timestamp = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        Budget = reader.GetString(2),
        Tenant = Text(reader, 3),
        Provider = Text(reader, 4),
        Model = Text(reader, 5),
        InputTokens = reader.GetInt64(6),
        OutputTokens = reader.GetInt64(7),
        CachedInputTokens = reader.GetInt64(8),
        ReasoningTokens = reader.GetInt64(9),
        ReservedInputTokens = reader.GetInt64(10),
        ReservedOutputTokens = reader.GetInt64(11),
        ReservedCostUsd = dialect.ReadMoney(reader, 12),
        CostUsd = dialect.ReadMoney(reader, 13),
        UsageReported = Convert.ToBoolean(reader.GetValue(14), CultureInfo.InvariantCulture),
        Duration = TimeSpan.FromTicks(reader.GetInt64(15)),
        Status = (UsageStatus)reader.GetInt32(16),
        Reason = Text(reader, 17),
        Tags = reader.IsDBNull(18) ? UsageRecord.EmptyTags
            : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(18)) ?? (IReadOnlyDictionary<string, string>)UsageRecord.EmptyTags,
        PriceTableVersion = Text(reader, 19),
        ConversationId = Text(reader, 20),
        RunId = Text(reader, 21),
        CacheWriteInputTokens = reader.GetInt64(22),
        ReportedInputTokens = NullableLong(reader, 23),
        ReportedOutputTokens = NullableLong(reader, 24),
        ReportedTotalTokens = NullableLong(reader, 25),
        ReportedCachedInputTokens = NullableLong(reader, 26),
        ReportedReasoningTokens = NullableLong(reader, 27),
        Anomalies = Text(reader, 28),
        Kind = (UsageKind)reader.GetInt32(29),
        DegradedFrom = Text(reader, 30),
        WouldBeDeniedBy = Text(reader, 31),
        WouldBeDeniedReason = Text(reader, 32),
    };

    /// <summary>The records of <c>[from, to)</c> that pass <paramref name="filter"/>, oldest first.</summary>
    public static void ReadRecords(DbCommand command, LedgerSqlDialect dialect, DateTimeOffset from, DateTimeOffset to, UsageFilter filter)
    {
        var where = new StringBuilder("ts_ticks >= @from AND ts_ticks < @to");
        Add(command, "@from", from.UtcTicks);
        Add(command, "@to", to.UtcTicks);
        AppendFilter(where, filter, command, dialect, rollup: false);
        command.CommandText = "SELECT " + RecordColumns + " FROM usage_records WHERE " + where + " ORDER BY ts_ticks, seq";
    }

    /// <summary>
    /// Sets <paramref name="command"/> to the aggregate <paramref name="query"/> asks for: a union of rollup rows and
    /// record rows, grouped again by bucket, keys and status. Whole UTC days come from the daily rollup when no bucket
    /// splits a day, the whole hours around them from the hourly one, and the records are read only for the partial hours
    /// at the ends (or for everything, when the query cannot be rolled up). With a <paramref name="rollupWatermark"/> (the
    /// highest record sequence the rollup holds) the records past it are read as well and the rolled-up hours take only
    /// those at or below it, so nothing is counted twice or missed. Rows are read with <see cref="ReadAggregateRow"/>.
    /// </summary>
    public static void Aggregate(DbCommand command, LedgerSqlDialect dialect, UsageAggregateQuery query, long[] starts, long? rollupWatermark)
    {
        long from = query.From.UtcTicks, to = query.To.UtcTicks;
        long rollFrom = Ceil(from, HourTicks), rollTo = to - to % HourTicks;
        // Buckets must not split an hour for the rollup's hours to fall wholly in one of them.
        var useRollup = query.IsRolledUp && rollFrom < rollTo && starts.Skip(1).All(s => s % HourTicks == 0);
        dialect.BindBuckets(command, starts);
        Add(command, "@from", from);
        Add(command, "@to", to);

        var keys = new List<string>();
        var rollupKeys = new List<string>();
        for (var i = 0; i < query.GroupBy.Count; i++)
        {
            var g = query.GroupBy[i];
            keys.Add($"{RecordColumn(g, i, command, dialect)} AS k{i}");
            if (useRollup) rollupKeys.Add($"{RollupColumn(g)} AS k{i}");
        }
        var keyList = string.Concat(Enumerable.Range(0, query.GroupBy.Count).Select(i => $"k{i}, "));

        var filter = new StringBuilder();
        AppendFilter(filter, query.Filter, command, dialect, rollup: false);
        // The records still read, as ranges an index can seek to each (the time at either end, the sequence past the
        // watermark), never as one time range with an OR: that form walks the time index over every record of the range
        // (3.8 s for 10 M records on SQLite).
        var ranges = new List<string>();
        if (!useRollup)
        {
            ranges.Add("ts_ticks >= @from AND ts_ticks < @to");
        }
        else
        {
            Add(command, "@rollFrom", rollFrom);
            Add(command, "@rollTo", rollTo);
            var belowWatermark = "";
            if (rollupWatermark is { } watermark)
            {
                Add(command, "@watermark", watermark);
                ranges.Add($"seq > @watermark AND {dialect.NotIndexed("ts_ticks")} >= @from AND {dialect.NotIndexed("ts_ticks")} < @to");
                belowWatermark = $" AND {dialect.NotIndexed("seq")} <= @watermark";
            }
            ranges.Add("ts_ticks >= @from AND ts_ticks < @rollFrom" + belowWatermark);
            ranges.Add("ts_ticks >= @rollTo AND ts_ticks < @to" + belowWatermark);
        }

        var sql = new StringBuilder("SELECT b, ").Append(keyList).Append("status, ")
            .Append(string.Join(", ", new[] { "n", "i", "o", "ci", "r", "ei", "eo" }.Select(dialect.SumLong))).Append(", ")
            .Append(dialect.SumMoney("ec")).Append(", ").Append(dialect.SumMoney("c")).Append(", ").Append(dialect.SumLong("d")).Append(" FROM (");
        for (var r = 0; r < ranges.Count; r++)
        {
            if (r > 0) sql.Append(" UNION ALL ");
            sql.Append("SELECT ").Append(dialect.BucketIndex("ts_ticks", starts)).Append(" AS b, ").Append(string.Concat(keys.Select(k => k + ", ")))
                .Append("status, 1 AS n, input_tokens AS i, output_tokens AS o, cached_input_tokens AS ci, reasoning_tokens AS r, est_input_tokens AS ei, ")
                .Append("est_output_tokens AS eo, est_cost_usd AS ec, cost_usd AS c, duration_ticks AS d FROM usage_records WHERE ")
                .Append(ranges[r]).Append(filter);
        }
        if (useRollup)
        {
            var rolledFilter = new StringBuilder();
            AppendFilter(rolledFilter, query.Filter, command, dialect, rollup: true);
            long dayFrom = Ceil(rollFrom, DayTicks), dayTo = rollTo - rollTo % DayTicks;
            var useDays = dayFrom < dayTo && starts.Skip(1).All(s => s % DayTicks == 0);
            void Rolled(LedgerRollup rollup, string range)
            {
                sql.Append(" UNION ALL SELECT ").Append(dialect.BucketIndex(rollup.BucketColumn, starts)).Append(", ").Append(string.Concat(rollupKeys.Select(k => k + ", ")))
                    .Append("status, requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, ")
                    .Append("est_cost_usd, cost_usd, duration_ticks FROM ").Append(rollup.Table).Append(" WHERE ").Append(range).Append(rolledFilter);
            }
            if (useDays)
            {
                Add(command, "@dayFrom", dayFrom);
                Add(command, "@dayTo", dayTo);
                Rolled(LedgerRollup.Hourly, "hour_ticks >= @rollFrom AND hour_ticks < @dayFrom");
                Rolled(LedgerRollup.Daily, "day_ticks >= @dayFrom AND day_ticks < @dayTo");
                Rolled(LedgerRollup.Hourly, "hour_ticks >= @dayTo AND hour_ticks < @rollTo");
            }
            else
            {
                Rolled(LedgerRollup.Hourly, "hour_ticks >= @rollFrom AND hour_ticks < @rollTo");
            }
        }
        sql.Append(") AS u GROUP BY b, ").Append(keyList).Append("status");
        command.CommandText = sql.ToString();
    }

    /// <summary>Sets <paramref name="command"/> to what <see cref="ReadDescription"/> reads: how many records, the first and last time, the schema version.</summary>
    public static void Describe(DbCommand command, LedgerSqlDialect dialect) =>
        command.CommandText = $"SELECT count(*), min(ts_ticks), max(ts_ticks), {dialect.SchemaVersion} FROM usage_records";

    /// <summary>Reads the row of <see cref="Describe"/>.</summary>
    public static LedgerDescription ReadDescription(DbDataReader reader, string location)
    {
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetInt64(i), TimeSpan.Zero);
        return new LedgerDescription(location, reader.GetInt64(0), At(1), At(2), Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture));
    }

    /// <summary>Reads a row of <see cref="Aggregate"/>.</summary>
    public static UsageAggregateRow ReadAggregateRow(DbDataReader reader, LedgerSqlDialect dialect, int groups, IReadOnlyList<DateTimeOffset> starts)
    {
        var keys = new string?[groups];
        for (var i = 0; i < groups; i++)
        {
            var value = reader.IsDBNull(1 + i) ? "" : reader.GetString(1 + i);
            keys[i] = value.Length == 0 ? null : value;
        }
        var c = 1 + groups;
        var sums = new UsageSums(reader.GetInt64(c + 1), reader.GetInt64(c + 2), reader.GetInt64(c + 3), reader.GetInt64(c + 4), reader.GetInt64(c + 5),
            reader.GetInt64(c + 6), reader.GetInt64(c + 7), dialect.ReadMoney(reader, c + 8), dialect.ReadMoney(reader, c + 9), reader.GetInt64(c + 10));
        var bucket = (int)Math.Clamp(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), 0, starts.Count - 1);
        return new UsageAggregateRow(starts[bucket], keys, (UsageStatus)reader.GetInt32(c), sums);
    }

    /// <summary>Adds a named parameter (<c>@name</c>, which both SQLite and PostgreSQL drivers accept).</summary>
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>The first multiple of <paramref name="grain"/> at or after <paramref name="ticks"/>.</summary>
    private static long Ceil(long ticks, long grain) => ticks % grain == 0 ? ticks : ticks - ticks % grain + grain;

    private static string RecordColumn(UsageGrouping grouping, int index, DbCommand command, LedgerSqlDialect dialect)
    {
        switch (grouping.Dimension)
        {
            case UsageDimension.Budget: return "budget";
            case UsageDimension.Tenant: return "coalesce(tenant, '')";
            case UsageDimension.Provider: return "coalesce(provider, '')";
            case UsageDimension.Model: return "coalesce(model, '')";
            case UsageDimension.PriceTable: return "coalesce(price_version, '')";
            case UsageDimension.Conversation: return "coalesce(conversation_id, '')";
            case UsageDimension.Run: return "coalesce(run_id, '')";
            case UsageDimension.Tag:
                Add(command, $"@tag{index}", dialect.TagArgument(grouping.TagKey!));
                return $"coalesce({dialect.TagText($"@tag{index}")}, '')";
            default: throw new ArgumentOutOfRangeException(nameof(grouping), grouping.Dimension, null);
        }
    }

    private static string RollupColumn(UsageGrouping grouping) => grouping.Dimension switch
    {
        UsageDimension.Budget => "budget",
        UsageDimension.Tenant => "tenant",
        UsageDimension.Provider => "provider",
        UsageDimension.Model => "model",
        UsageDimension.PriceTable => "price_version",
        _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping.Dimension, "not in the rollup"),
    };

    private static void AppendFilter(StringBuilder where, UsageFilter filter, DbCommand command, LedgerSqlDialect dialect, bool rollup)
    {
        void Equal(string column, string? value, string name)
        {
            if (value is null) return;
            where.Append(" AND ").Append(column).Append(" = ").Append(name);
            if (!command.Parameters.Contains(name)) Add(command, name, dialect.StoredText(value));
        }
        Equal("budget", filter.Budget, "@fBudget");
        Equal("tenant", filter.Tenant, "@fTenant");
        Equal("provider", filter.Provider, "@fProvider");
        Equal("model", filter.Model, "@fModel");
        if (!rollup)
        {
            Equal("conversation_id", filter.ConversationId, "@fConversation");
            Equal("run_id", filter.RunId, "@fRun");
            if (filter.TagKey is not null)
            {
                where.Append(" AND ").Append(dialect.TagText("@fTagKey")).Append(" = @fTagValue");
                if (!command.Parameters.Contains("@fTagKey"))
                {
                    Add(command, "@fTagKey", dialect.TagArgument(filter.TagKey));
                    Add(command, "@fTagValue", dialect.StoredText(filter.TagValue ?? ""));
                }
            }
        }
        if (filter.Statuses is { } statuses)
        {
            where.Append(" AND status IN (").Append(statuses.Count == 0 ? "-1" : string.Join(", ", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)))).Append(')');
        }
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? NullableLong(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}

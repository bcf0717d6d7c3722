using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using GuardedAI.Reports;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Reports on a SQLite ledger file: the SQLite dialect of <see cref="IUsageLedgerQueries"/>. Aggregates read the
/// hourly rollup for whole hours and the records themselves only for what the rollup cannot answer (the records past
/// its watermark, the partial hours at the ends of a range that does not start or end on an hour, groupings by tag,
/// conversation or run, and time zones whose days do not start on a UTC hour). Money is summed as decimals.
/// Each query runs in one read transaction, so it sees one consistent snapshot while writers go on.
/// </summary>
public sealed class SqliteUsageQueries : IUsageLedgerQueries
{
    private readonly string _path;

    /// <summary>Reports on the ledger file at <paramref name="path"/>, which must exist; it is migrated to the current
    /// schema and its rollup brought up to date.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidOperationException">The file is not a GuardedAI ledger, or a newer GuardedAI wrote it.</exception>
    public SqliteUsageQueries(string path) : this(path, catchUpRollup: true) { }

    /// <summary>With <paramref name="catchUpRollup"/> false, opens without writing (tests read the records past the rollup this way).</summary>
    internal SqliteUsageQueries(string path, bool catchUpRollup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(_path)) throw new FileNotFoundException($"There is no GuardedAI ledger at '{_path}'.", _path);
        if (!catchUpRollup) return;
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        SqliteRollup.CatchUp(connection);
    }

    /// <summary>The ledger file.</summary>
    public string Path => _path;

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageAggregateRow> AggregateAsync(UsageAggregateQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var starts = UsageCalendar.Starts(query.Bucket, query.From, query.To, query.TimeZone);
        var startTicks = starts.Select(s => s.UtcTicks).ToArray();

        await using var connection = OpenReader();
        connection.CreateFunction<long, long>("gai_bucket", ticks => Bucket(startTicks, ticks), isDeterministic: true);
        // Deferred: a read transaction, one snapshot for the watermark and the rows.
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = AggregateSql(query, startTicks, command, SqliteRollup.Watermark(connection, transaction));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var groups = query.GroupBy.Count;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var keys = new string?[groups];
            for (var i = 0; i < groups; i++)
            {
                var value = reader.IsDBNull(1 + i) ? "" : reader.GetString(1 + i);
                keys[i] = value.Length == 0 ? null : value;
            }
            var c = 1 + groups;
            var sums = new UsageSums(reader.GetInt64(c + 1), reader.GetInt64(c + 2), reader.GetInt64(c + 3), reader.GetInt64(c + 4), reader.GetInt64(c + 5),
                reader.GetInt64(c + 6), reader.GetInt64(c + 7), SqliteFunctions.Parse(reader.GetString(c + 8)), SqliteFunctions.Parse(reader.GetString(c + 9)),
                reader.GetInt64(c + 10));
            yield return new UsageAggregateRow(starts[(int)reader.GetInt64(0)], keys, (UsageStatus)reader.GetInt32(c), sums);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> ReadRecordsAsync(DateTimeOffset from, DateTimeOffset to, UsageFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        filter ??= UsageFilter.None;
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        var where = new StringBuilder("ts_ticks >= $from AND ts_ticks < $to");
        command.Parameters.AddWithValue("$from", from.UtcTicks);
        command.Parameters.AddWithValue("$to", to.UtcTicks);
        AppendFilter(where, filter, command, rollup: false);
        command.CommandText = "SELECT " + SqliteRecordColumns.Select + " FROM usage_records WHERE " + where + " ORDER BY ts_ticks, seq;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return SqliteRecordColumns.Read(reader);
    }

    /// <inheritdoc/>
    public async ValueTask<LedgerDescription> DescribeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), min(ts_ticks), max(ts_ticks), (SELECT user_version FROM pragma_user_version) FROM usage_records;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetInt64(i), TimeSpan.Zero);
        return new LedgerDescription(_path, reader.GetInt64(0), At(1), At(2), reader.GetInt32(3));
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        SqliteFunctions.Register(connection);
        using var busy = connection.CreateCommand();
        busy.CommandText = "PRAGMA busy_timeout = 10000;";
        busy.ExecuteNonQuery();
        return connection;
    }

    /// <summary>The index of the bucket holding <paramref name="ticks"/> (the last start at or before it).</summary>
    private static long Bucket(long[] starts, long ticks)
    {
        var i = Array.BinarySearch(starts, ticks);
        return i >= 0 ? i : Math.Max(0, ~i - 1);
    }

    /// <summary>
    /// The SQL of an aggregate: a union of rollup rows for whole hours and record rows for the rest, grouped again by
    /// bucket, keys and status. The rollup covers <c>[rollFrom, rollTo)</c>; a record is read when it lies outside
    /// that or past the rollup's watermark, so nothing is counted twice or missed.
    /// </summary>
    private static string AggregateSql(UsageAggregateQuery query, long[] starts, SqliteCommand command, long watermark)
    {
        long from = query.From.UtcTicks, to = query.To.UtcTicks;
        long rollFrom = CeilHour(from), rollTo = to - to % SqliteRollup.HourTicks;
        // Buckets must not split an hour for the rollup's hours to fall wholly in one of them.
        var useRollup = query.IsRolledUp && rollFrom < rollTo && starts.Skip(1).All(s => s % SqliteRollup.HourTicks == 0);
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        command.Parameters.AddWithValue("$rollFrom", rollFrom);
        command.Parameters.AddWithValue("$rollTo", rollTo);
        command.Parameters.AddWithValue("$watermark", watermark);

        var keys = new List<string>();
        var rollupKeys = new List<string>();
        for (var i = 0; i < query.GroupBy.Count; i++)
        {
            var g = query.GroupBy[i];
            keys.Add($"{RecordColumn(g, i, command)} AS k{i}");
            if (useRollup) rollupKeys.Add($"{RollupColumn(g)} AS k{i}");
        }
        var keyList = string.Concat(Enumerable.Range(0, query.GroupBy.Count).Select(i => $"k{i}, "));

        var filter = new StringBuilder();
        AppendFilter(filter, query.Filter, command, rollup: false);
        // With the rollup, the records still read are those past its watermark and those of the partial hours at the ends.
        // Written as three ranges each an index can seek to (the sequence, then the time at either end), never as one
        // time range with an OR: that form walks the time index over every record of the range (3.8 s for 10 M records).
        string[] ranges = useRollup
            // A unary + keeps SQLite from choosing the other index for a range ("+ts_ticks": seek by sequence only).
            ? ["seq > $watermark AND +ts_ticks >= $from AND +ts_ticks < $to",
               "ts_ticks >= $from AND ts_ticks < $rollFrom AND +seq <= $watermark",
               "ts_ticks >= $rollTo AND ts_ticks < $to AND +seq <= $watermark"]
            : ["ts_ticks >= $from AND ts_ticks < $to"];
        var sql = new StringBuilder("SELECT b, ").Append(keyList).Append("""
            status, sum(n), sum(i), sum(o), sum(ci), sum(r), sum(ei), sum(eo), gai_dsum(ec), gai_dsum(c), sum(d) FROM (
            """);
        for (var r = 0; r < ranges.Length; r++)
        {
            if (r > 0) sql.Append(" UNION ALL ");
            sql.Append("SELECT gai_bucket(ts_ticks) AS b, ").Append(string.Concat(keys.Select(k => k + ", ")))
                .Append("status, 1 AS n, input_tokens AS i, output_tokens AS o, cached_input_tokens AS ci, reasoning_tokens AS r, est_input_tokens AS ei, ")
                .Append("est_output_tokens AS eo, est_cost_usd AS ec, cost_usd AS c, duration_ticks AS d FROM usage_records WHERE ").Append(ranges[r]).Append(filter);
        }
        if (useRollup)
        {
            var rolledFilter = new StringBuilder();
            AppendFilter(rolledFilter, query.Filter, command, rollup: true);
            // Whole UTC days come from the daily rollup when no bucket splits a day; the hours around them from the hourly one.
            long dayFrom = rollFrom % SqliteRollup.DayTicks == 0 ? rollFrom : rollFrom - rollFrom % SqliteRollup.DayTicks + SqliteRollup.DayTicks;
            long dayTo = rollTo - rollTo % SqliteRollup.DayTicks;
            var useDays = dayFrom < dayTo && starts.Skip(1).All(s => s % SqliteRollup.DayTicks == 0);
            command.Parameters.AddWithValue("$dayFrom", useDays ? dayFrom : rollTo);
            command.Parameters.AddWithValue("$dayTo", useDays ? dayTo : rollTo);
            string[] hourRanges = ["hour_ticks >= $rollFrom AND hour_ticks < $dayFrom", "hour_ticks >= $dayTo AND hour_ticks < $rollTo"];
            foreach (var range in hourRanges)
            {
                sql.Append(" UNION ALL SELECT gai_bucket(hour_ticks), ").Append(string.Concat(rollupKeys.Select(k => k + ", ")))
                    .Append("status, requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, ")
                    .Append("est_cost_usd, cost_usd, duration_ticks FROM usage_hourly WHERE ").Append(range).Append(rolledFilter);
            }
            if (useDays)
            {
                sql.Append(" UNION ALL SELECT gai_bucket(day_ticks), ").Append(string.Concat(rollupKeys.Select(k => k + ", ")))
                    .Append("status, requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, ")
                    .Append("est_cost_usd, cost_usd, duration_ticks FROM usage_daily WHERE day_ticks >= $dayFrom AND day_ticks < $dayTo").Append(rolledFilter);
            }
        }
        sql.Append(") GROUP BY b, ").Append(keyList).Append("status;");
        return sql.ToString();
    }

    private static long CeilHour(long ticks) => ticks % SqliteRollup.HourTicks == 0 ? ticks : ticks - ticks % SqliteRollup.HourTicks + SqliteRollup.HourTicks;

    private static string RecordColumn(UsageGrouping grouping, int index, SqliteCommand command)
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
                command.Parameters.AddWithValue($"$tag{index}", TagPath(grouping.TagKey!));
                return $"coalesce(CAST(json_extract(tags, $tag{index}) AS TEXT), '')";
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

    /// <summary>A JSON path naming one key exactly, whatever characters it has.</summary>
    private static string TagPath(string key) => "$.\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void AppendFilter(StringBuilder where, UsageFilter filter, SqliteCommand command, bool rollup)
    {
        void Equal(string column, string? value, string name)
        {
            if (value is null) return;
            where.Append(" AND ").Append(column).Append(" = ").Append(name);
            if (!command.Parameters.Contains(name)) command.Parameters.AddWithValue(name, value);
        }
        Equal("budget", filter.Budget, "$fBudget");
        Equal("tenant", filter.Tenant, "$fTenant");
        Equal("provider", filter.Provider, "$fProvider");
        Equal("model", filter.Model, "$fModel");
        if (!rollup)
        {
            Equal("conversation_id", filter.ConversationId, "$fConversation");
            Equal("run_id", filter.RunId, "$fRun");
            if (filter.TagKey is not null)
            {
                where.Append(" AND CAST(json_extract(tags, $fTagPath) AS TEXT) = $fTagValue");
                if (!command.Parameters.Contains("$fTagPath"))
                {
                    command.Parameters.AddWithValue("$fTagPath", TagPath(filter.TagKey));
                    command.Parameters.AddWithValue("$fTagValue", filter.TagValue ?? "");
                }
            }
        }
        if (filter.Statuses is { } statuses)
        {
            where.Append(" AND status IN (").Append(statuses.Count == 0 ? "-1" : string.Join(", ", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture)))).Append(')');
        }
    }
}

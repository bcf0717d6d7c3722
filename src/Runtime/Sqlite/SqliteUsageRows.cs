using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace GuardedAI;

/// <summary>How a <see cref="UsageRecord"/> is written to and read from the <c>usage_records</c> table.</summary>
internal static class SqliteUsageRows
{
    public const string Columns = "id, ts_ticks, budget, tenant, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, "
        + "est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, usage_reported, duration_ticks, status, reason, tags, cache_write_input_tokens, "
        + "reported_input_tokens, reported_output_tokens, reported_total_tokens, reported_cached_input_tokens, reported_reasoning_tokens, anomalies";

    private static readonly string[] Parameters = Columns.Split(", ").Select(c => "$" + c).ToArray();

    private static readonly string InsertSql = $"INSERT INTO usage_records ({Columns}) VALUES ({string.Join(", ", Parameters)}) ON CONFLICT (id) DO NOTHING;";

    /// <summary>Inserts <paramref name="records"/> in one transaction; an id already there is left as it is.</summary>
    public static void Insert(SqliteConnection connection, IEnumerable<UsageRecord> records)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertSql;
        var p = new SqliteParameter[Parameters.Length];
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = command.CreateParameter();
            p[i].ParameterName = Parameters[i];
            command.Parameters.Add(p[i]);
        }
        command.Prepare();
        foreach (var r in records)
        {
            object?[] values =
            [
                r.Id, r.Timestamp.UtcTicks, r.Budget, r.Tenant, r.Provider, r.Model, r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.ReasoningTokens,
                r.EstimatedInputTokens, r.EstimatedOutputTokens, r.EstimatedCostUsd.ToString(CultureInfo.InvariantCulture), r.CostUsd.ToString(CultureInfo.InvariantCulture),
                r.UsageReported ? 1 : 0, r.Duration.Ticks, (int)r.Status, r.Reason, r.Tags.Count == 0 ? null : JsonSerializer.Serialize(r.Tags), r.CacheWriteInputTokens,
                r.ReportedInputTokens, r.ReportedOutputTokens, r.ReportedTotalTokens, r.ReportedCachedInputTokens, r.ReportedReasoningTokens, r.Anomalies,
            ];
            for (var i = 0; i < p.Length; i++) p[i].Value = values[i] ?? DBNull.Value;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public static UsageRecord Read(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Timestamp = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        Budget = reader.GetString(2),
        Tenant = reader.IsDBNull(3) ? null : reader.GetString(3),
        Provider = reader.IsDBNull(4) ? null : reader.GetString(4),
        Model = reader.IsDBNull(5) ? null : reader.GetString(5),
        InputTokens = reader.GetInt64(6),
        OutputTokens = reader.GetInt64(7),
        CachedInputTokens = reader.GetInt64(8),
        ReasoningTokens = reader.GetInt64(9),
        EstimatedInputTokens = reader.GetInt64(10),
        EstimatedOutputTokens = reader.GetInt64(11),
        EstimatedCostUsd = decimal.Parse(reader.GetString(12), NumberStyles.Number, CultureInfo.InvariantCulture),
        CostUsd = decimal.Parse(reader.GetString(13), NumberStyles.Number, CultureInfo.InvariantCulture),
        UsageReported = reader.GetInt64(14) != 0,
        Duration = TimeSpan.FromTicks(reader.GetInt64(15)),
        Status = (UsageStatus)reader.GetInt32(16),
        Reason = reader.IsDBNull(17) ? null : reader.GetString(17),
        Tags = reader.IsDBNull(18) ? UsageRecord.EmptyTags : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(18)) ?? (IReadOnlyDictionary<string, string>)UsageRecord.EmptyTags,
        CacheWriteInputTokens = reader.GetInt64(19),
        ReportedInputTokens = NullableLong(reader, 20),
        ReportedOutputTokens = NullableLong(reader, 21),
        ReportedTotalTokens = NullableLong(reader, 22),
        ReportedCachedInputTokens = NullableLong(reader, 23),
        ReportedReasoningTokens = NullableLong(reader, 24),
        Anomalies = reader.IsDBNull(25) ? null : reader.GetString(25),
    };

    private static long? NullableLong(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}

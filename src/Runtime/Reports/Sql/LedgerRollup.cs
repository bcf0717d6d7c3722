using System.Globalization;

namespace GuardedAI.Reports.Sql;

/// <summary>
/// A rollup table of the ledger: one row per UTC bucket of its grain (an hour for <c>usage_hourly</c>, a day for
/// <c>usage_daily</c>), budget, tenant, provider, model, status and price table, with the sums of the records. Both
/// stores keep both rollups from the same records in the same transaction, with the upsert written here once; missing
/// tenant, provider, model or price table are stored as the empty string (a unique key must not hold NULLs).
/// </summary>
internal sealed record LedgerRollup(string Table, string BucketColumn, long GrainTicks)
{
    public static readonly LedgerRollup Hourly = new("usage_hourly", "hour_ticks", TimeSpan.TicksPerHour);

    public static readonly LedgerRollup Daily = new("usage_daily", "day_ticks", TimeSpan.TicksPerDay);

    /// <summary>Every rollup, finest first: what an append keeps up to date.</summary>
    public static readonly IReadOnlyList<LedgerRollup> All = [Hourly, Daily];

    /// <summary>
    /// The upsert that adds the records <paramref name="source"/> yields (a <c>FROM</c> target with the record columns:
    /// <c>usage_records WHERE …</c>, or a statement's inserted rows) to this rollup. Rows are written in key order, so
    /// concurrent writers lock them in one order and cannot deadlock one another.
    /// </summary>
    public string Upsert(LedgerSqlDialect dialect, string source)
    {
        var grain = GrainTicks.ToString(CultureInfo.InvariantCulture);
        return $"""
            INSERT INTO {Table} ({KeyColumns}, {SumColumns})
            SELECT ts_ticks - (ts_ticks % {grain}), budget, coalesce(tenant, ''), coalesce(provider, ''), coalesce(model, ''), status,
                coalesce(price_version, ''), count(*), {dialect.SumLong("input_tokens")}, {dialect.SumLong("output_tokens")},
                {dialect.SumLong("cached_input_tokens")}, {dialect.SumLong("reasoning_tokens")}, {dialect.SumLong("est_input_tokens")},
                {dialect.SumLong("est_output_tokens")}, {dialect.SumMoney("est_cost_usd")}, {dialect.SumMoney("cost_usd")}, {dialect.SumLong("duration_ticks")}
            FROM {source}
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
            {OnConflict(dialect)}
            """;
    }

    /// <summary>The parameters of <see cref="UpsertRow"/>, in the order of its columns: the key, then the sums.</summary>
    public static readonly IReadOnlyList<string> RowParameters =
        ["@bucket", "@budget", "@tenant", "@provider", "@model", "@status", "@price", "@requests", "@in", "@out", "@cached", "@reasoning",
         "@est_in", "@est_out", "@est_cost", "@cost", "@duration"];

    /// <summary>
    /// The upsert that adds one group already summed by the writer (its key and sums as <see cref="RowParameters"/>) to
    /// this rollup: the same columns and the same conflict rule as <see cref="Upsert"/>.
    /// </summary>
    public string UpsertRow(LedgerSqlDialect dialect) => $"""
        INSERT INTO {Table} ({KeyColumns}, {SumColumns})
        VALUES ({string.Join(", ", RowParameters)})
        {OnConflict(dialect)}
        """;

    private string KeyColumns => $"{BucketColumn}, budget, tenant, provider, model, status, price_version";

    private const string SumColumns = "requests, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, "
        + "est_cost_usd, cost_usd, duration_ticks";

    private string OnConflict(LedgerSqlDialect dialect)
    {
        string Add(string column) => $"{column} = {Table}.{column} + excluded.{column}";
        string AddMoney(string column) => $"{column} = {dialect.AddMoney($"{Table}.{column}", $"excluded.{column}")}";
        return $"""
            ON CONFLICT ({KeyColumns}) DO UPDATE SET
                {Add("requests")}, {Add("input_tokens")}, {Add("output_tokens")}, {Add("cached_input_tokens")}, {Add("reasoning_tokens")},
                {Add("est_input_tokens")}, {Add("est_output_tokens")}, {AddMoney("est_cost_usd")}, {AddMoney("cost_usd")}, {Add("duration_ticks")}
            """;
    }
}

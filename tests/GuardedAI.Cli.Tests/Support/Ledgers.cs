using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Cli.Tests.Support;

/// <summary>Fills real SQLite ledgers through the ledger's own writer, and reads their sums back with plain SQL.</summary>
public static class Ledgers
{
    public static async Task FillAsync(string path, IEnumerable<UsageRecord> records)
    {
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, BatchSize = 2048 });
        foreach (var record in records) await ledger.AppendAsync(record);
        await ledger.FlushAsync();
    }

    public static UsageRecord Record(DateTimeOffset at, string budget = "support", string? tenant = null, string provider = "openai", string model = "gpt-4o",
        long input = 1000, long output = 200, decimal cost = 0.0045m, UsageStatus status = UsageStatus.Success, string? id = null,
        IReadOnlyDictionary<string, string>? tags = null, string? conversation = null, string? run = null, string? priceVersion = "2025-01-01#test") => new()
    {
        Id = id ?? Guid.NewGuid().ToString("N"),
        Timestamp = at,
        Budget = budget,
        Tenant = tenant,
        Provider = provider,
        Model = model,
        InputTokens = status == UsageStatus.Denied ? 0 : input,
        OutputTokens = status == UsageStatus.Denied ? 0 : output,
        CachedInputTokens = status == UsageStatus.Denied ? 0 : input / 4,
        ReasoningTokens = status == UsageStatus.Denied ? 0 : output / 10,
        ReservedInputTokens = input + 7,
        ReservedOutputTokens = output * 2,
        ReservedCostUsd = cost * 2,
        CostUsd = status == UsageStatus.Denied ? 0 : cost,
        Status = status,
        Tags = tags ?? new Dictionary<string, string>(),
        ConversationId = conversation,
        RunId = run,
        PriceTableVersion = priceVersion,
    };

    /// <summary>Sum of cost over records matching <paramref name="where"/>, computed by SQLite-free decimal addition of every stored value.</summary>
    public static decimal SumCost(string path, string where = "1 = 1", params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT cost_usd FROM usage_records WHERE " + where;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var sum = 0m;
        while (reader.Read()) sum += decimal.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
        return sum;
    }

    public static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

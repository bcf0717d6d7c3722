using System.Data.Common;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// SQLite's side of <see cref="LedgerSqlDialect"/>: buckets by a function registered on the connection (a binary search
/// over the bucket starts), tags by <c>json_extract</c>, money as decimal text summed exactly by <c>gai_dsum</c> and added
/// by <c>gai_dadd</c>, and a unary <c>+</c> to keep a column's index out of the planner's choice.
/// </summary>
internal sealed class SqliteDialect : LedgerSqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string BucketIndex(string ticksColumn) => $"gai_bucket({ticksColumn})";

    public override void BindBuckets(DbCommand command, long[] starts) =>
        ((SqliteConnection)command.Connection!).CreateFunction<long, long>("gai_bucket", ticks => Bucket(starts, ticks), isDeterministic: true);

    public override string TagText(string parameter) => $"CAST(json_extract(tags, {parameter}) AS TEXT)";

    /// <summary>A JSON path naming one key exactly, whatever characters it has.</summary>
    public override object TagArgument(string key) =>
        "$.\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public override string SumMoney(string column) => $"gai_dsum({column})";

    public override string AddMoney(string left, string right) => $"gai_dadd({left}, {right})";

    public override string NotIndexed(string column) => "+" + column;

    public override decimal ReadMoney(DbDataReader reader, int ordinal) => SqliteFunctions.Parse(reader.GetString(ordinal));

    /// <summary>The index of the bucket holding <paramref name="ticks"/> (the last start at or before it).</summary>
    private static long Bucket(long[] starts, long ticks)
    {
        var i = Array.BinarySearch(starts, ticks);
        return i >= 0 ? i : Math.Max(0, ~i - 1);
    }
}

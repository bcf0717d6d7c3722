using System.Data.Common;
using System.Globalization;
using System.Text;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// SQLite's side of <see cref="LedgerSqlDialect"/>: buckets by a <c>CASE</c> over few starts or a function registered on
/// the connection (a binary search over many), tags by <c>json_extract</c>, money as decimal text summed exactly by <c>gai_dsum</c> and added
/// by <c>gai_dadd</c>, and a unary <c>+</c> to keep a column's index out of the planner's choice.
/// </summary>
internal sealed class SqliteDialect : LedgerSqlDialect
{
    public static readonly SqliteDialect Instance = new();

    /// <summary>Up to this many buckets are told apart in SQL; more go through the registered function.</summary>
    private const int InlineBuckets = 32;

    /// <summary>
    /// A <c>CASE</c> over the starts when there are few buckets (a month, a week of days): no call into .NET per row,
    /// which costs more than the rest of a rolled-up report. Many buckets (hours of a month) use <c>gai_bucket</c>, a
    /// binary search. The starts are computed numbers, written as literals.
    /// </summary>
    public override string BucketIndex(string ticksColumn, long[] starts)
    {
        if (starts.Length > InlineBuckets) return $"gai_bucket({ticksColumn})";
        if (starts.Length == 1) return "0";
        var sql = new StringBuilder("CASE");
        for (var i = 1; i < starts.Length; i++)
        {
            sql.Append(CultureInfo.InvariantCulture, $" WHEN {ticksColumn} < {starts[i]} THEN {i - 1}");
        }
        return sql.Append(CultureInfo.InvariantCulture, $" ELSE {starts.Length - 1} END").ToString();
    }

    public override void BindBuckets(DbCommand command, long[] starts)
    {
        if (starts.Length <= InlineBuckets) return;
        ((SqliteConnection)command.Connection!).CreateFunction<long, long>("gai_bucket", ticks => Bucket(starts, ticks), isDeterministic: true);
    }

    public override string TagText(string parameter) => $"CAST(json_extract(tags, {parameter}) AS TEXT)";

    /// <summary>A JSON path naming one key exactly, whatever characters it has.</summary>
    public override object TagArgument(string key) =>
        "$.\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public override string SumMoney(string column) => $"gai_dsum({column})";

    public override string AddMoney(string left, string right) => $"gai_dadd({left}, {right})";

    public override string NotIndexed(string column) => "+" + column;

    public override string SchemaVersion => "(SELECT user_version FROM pragma_user_version)";

    public override decimal ReadMoney(DbDataReader reader, int ordinal) => SqliteFunctions.Parse(reader.GetString(ordinal));

    /// <summary>The index of the bucket holding <paramref name="ticks"/> (the last start at or before it).</summary>
    private static long Bucket(long[] starts, long ticks)
    {
        var i = Array.BinarySearch(starts, ticks);
        return i >= 0 ? i : Math.Max(0, ~i - 1);
    }
}

using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// SQL functions GuardedAI registers on each of its connections. Costs are stored as decimal text (SQLite has no
/// decimal type, and REAL arithmetic would lose cents over millions of records), so sums of money are computed
/// by <c>gai_dsum</c> and <c>gai_dadd</c> in <see cref="decimal"/>: the totals a report prints are the exact sum
/// of the records.
/// </summary>
internal static class SqliteFunctions
{
    public static void Register(SqliteConnection connection)
    {
        connection.CreateAggregate<string?, decimal, string>("gai_dsum", 0m,
            static (sum, value) => value is null ? sum : sum + Parse(value),
            static sum => Format(sum), isDeterministic: true);
        connection.CreateFunction<string?, string?, string>("gai_dadd",
            static (a, b) => Format((a is null ? 0m : Parse(a)) + (b is null ? 0m : Parse(b))), isDeterministic: true);
    }

    public static decimal Parse(string value) => decimal.Parse(value, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    public static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}

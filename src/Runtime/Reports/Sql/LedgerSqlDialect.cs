using System.Data.Common;

namespace GuardedAI.Reports.Sql;

/// <summary>
/// Everything that differs between the SQL databases a ledger lives in, and nothing else: how a time becomes a bucket
/// index, how a tag is read from the record's JSON, how money is summed, added and read back, and how a column is kept
/// from steering the planner to an index. Parameters are written <c>@name</c>, which both drivers accept. <see cref="LedgerSql"/> writes
/// every query once against these points; a store supplies its dialect (SQLite, PostgreSQL) and its connection.
/// Both stores keep the same tables and column names (<c>usage_records</c>, <c>usage_hourly</c>, <c>usage_daily</c>), times
/// as UTC ticks.
/// </summary>
internal abstract class LedgerSqlDialect
{
    /// <summary>The 0-based index of the bucket holding <paramref name="ticksColumn"/> (the last of <paramref name="starts"/>
    /// at or before it, 0 before the first), the starts having been bound by <see cref="BindBuckets"/>.</summary>
    public abstract string BucketIndex(string ticksColumn, long[] starts);

    /// <summary>Makes the bucket starts (UTC ticks, ascending) available to <see cref="BucketIndex"/> in <paramref name="command"/>.</summary>
    public abstract void BindBuckets(DbCommand command, long[] starts);

    /// <summary>The text of one tag of a record, or NULL, where <paramref name="parameter"/> holds <see cref="TagArgument"/>.</summary>
    public abstract string TagText(string parameter);

    /// <summary>The parameter value that names tag <paramref name="key"/> for <see cref="TagText"/>.</summary>
    public abstract object TagArgument(string key);

    /// <summary>A filter's text as the store keeps it (a PostgreSQL ledger stores a NUL or half a surrogate pair as U+FFFD),
    /// so that a filter finds what was stored from the text it was stored from, and never makes the driver refuse the query.</summary>
    public virtual string? StoredText(string? value) => value;

    /// <summary>The exact sum of a money column.</summary>
    public abstract string SumMoney(string column);

    /// <summary>The sum of an integer column, as a 64-bit integer.</summary>
    public virtual string SumLong(string column) => $"sum({column})";

    /// <summary>The exact sum of two money values (a rollup row's and the records' being added to it).</summary>
    public abstract string AddMoney(string left, string right);

    /// <summary>
    /// <paramref name="column"/> in a condition that must not choose the index to search by (SQLite's planner would
    /// otherwise seek by time where a sequence range is far narrower). Only where a planner needs the hint.
    /// </summary>
    public virtual string NotIndexed(string column) => column;

    /// <summary>A scalar subquery giving the ledger's schema version.</summary>
    public abstract string SchemaVersion { get; }

    /// <summary>A money value as the store returns it.</summary>
    public abstract decimal ReadMoney(DbDataReader reader, int ordinal);
}

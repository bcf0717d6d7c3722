using System.Data.Common;
using GuardedAI.Reports.Sql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// PostgreSQL's side of <see cref="LedgerSqlDialect"/>: buckets by <c>width_bucket</c> over an array of bucket starts,
/// tags by <c>-&gt;&gt;</c> on <c>jsonb</c>, money as <c>numeric</c> (exact sums, read as <see cref="decimal"/>).
/// </summary>
internal sealed class PostgreSqlDialect : LedgerSqlDialect
{
    public static readonly PostgreSqlDialect Instance = new();

    public override string BucketIndex(string ticksColumn, long[] starts) => $"greatest(width_bucket({ticksColumn}, @starts) - 1, 0)";

    public override void BindBuckets(DbCommand command, long[] starts) => LedgerSql.Add(command, "@starts", starts);

    public override string TagText(string parameter) => $"(tags ->> {parameter})";

    public override object TagArgument(string key) => PostgreSqlText.Storable(key)!;

    public override string? StoredText(string? value) => PostgreSqlText.Storable(value);

    public override string SumMoney(string column) => $"sum({column})";

    public override string AddMoney(string left, string right) => $"{left} + {right}";

    public override string SumLong(string column) => $"sum({column})::bigint";

    public override string SchemaVersion => "(SELECT version FROM schema_version)";

    public override decimal ReadMoney(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal);
}

using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// Reports across a restart of the database: the pooled connections of a long-lived report source all died with the
/// old server, and the first report after the restart must not fail on one of them.
/// </summary>
[Collection("postgres")]
public sealed class RestartTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_report_right_after_the_server_restarted_is_answered_on_a_new_connection()
    {
        var server = fixture.Restartable;
        var records = Records.Generate(400, seed: 31);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(server, _schema, _dir.File("spill.jsonl"))))
        {
            foreach (var r in records) await ledger.AppendAsync(r);
        }
        var query = new UsageAggregateQuery { From = Records.Start, To = Records.Start.AddDays(40), Bucket = UsageBucket.Day, GroupBy = [UsageGrouping.Budget] };
        await using var queries = new PostgreSqlUsageQueries(server.ConnectionString(), _schema);
        var first = await queries.BuildAsync(query);
        Assert.Equal(records.Count, first.Total.Requests);

        server.Stop("fast");
        server.Start();

        var second = await queries.BuildAsync(query);
        Assert.Equal(Rows(first), Rows(second));
        Assert.Equal(first.Total, second.Total);

        server.Stop("fast");
        server.Start();
        var read = 0;
        await foreach (var r in queries.ReadRecordsAsync(Records.Start, Records.Start.AddDays(40))) read++;
        Assert.Equal(records.Count, read);

        server.Stop("fast");
        server.Start();
        Assert.Equal(records.Count, (await queries.DescribeAsync()).Records);
    }

    private static List<(DateTimeOffset, string, UsageTotals)> Rows(UsageReport report) =>
        report.Rows.Select(r => (r.BucketStart, string.Join("|", r.Keys), r.Totals)).ToList();

    [Fact]
    public async Task A_report_while_the_server_is_down_fails_after_one_retry_naming_the_connection_error()
    {
        var server = fixture.Restartable;
        await using (await PostgreSqlUsageLedger.OpenAsync(Records.Options(server, _schema, _dir.File("spill.jsonl")))) { }
        await using var queries = new PostgreSqlUsageQueries(server.ConnectionString(), _schema);
        Assert.Equal(0, (await queries.DescribeAsync()).Records);

        server.Stop("fast");
        try
        {
            var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await queries.DescribeAsync());
            Assert.True(PostgreSqlUsageQueries.IsBrokenConnection(ex), ex.ToString());
            Assert.DoesNotContain(PostgresServer.Password, ex.ToString());
        }
        finally
        {
            server.Start();
        }
    }
}

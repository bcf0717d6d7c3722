using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>The <c>guardedai</c> tool on a PostgreSQL ledger: the same commands as on a SQLite file, through the one query abstraction.</summary>
[Collection("postgres")]
public sealed class CliTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private string Connection => new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString()) { SearchPath = _schema }.ConnectionString;

    private static async Task<(int Exit, string Output)> RunAsync(string[] args, Dictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "GuardedAI.Cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["GUARDEDAI_DB"] = null;
        start.Environment["GUARDEDAI_CONNECTION"] = null;
        if (environment is not null) foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task Report_health_and_breakers_work_on_a_postgresql_ledger_and_never_print_the_password()
    {
        var records = Records.Generate(400, seed: 21);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"))))
        {
            foreach (var r in records) await ledger.AppendAsync(r);
        }

        var report = await RunAsync(["report", "--connection", Connection, "--from", "2025-03-20", "--to", "2025-04-29", "--format", "json"]);
        Assert.True(report.Exit == 0, report.Output);
        using (var json = JsonDocument.Parse(report.Output))
        {
            var totals = json.RootElement.GetProperty("totals");
            var inRange = records.Where(r => r.Timestamp < new DateTimeOffset(2025, 4, 30, 0, 0, 0, TimeSpan.Zero)).ToList();
            Assert.Equal(inRange.Count, totals.GetProperty("requests").GetInt64());
            Assert.Equal(inRange.Sum(r => r.InputTokens), totals.GetProperty("inputTokens").GetInt64());
            Assert.Equal(inRange.Sum(r => r.CostUsd), totals.GetProperty("costUsd").GetDecimal());
        }

        // The password can stay off the command line: GUARDEDAI_CONNECTION.
        var environment = new Dictionary<string, string?> { ["GUARDEDAI_CONNECTION"] = Connection };
        var trip = await RunAsync(["breaker", "trip", "--budget", "support", "--reason", "runaway agent", "--minutes", "30"], environment);
        Assert.True(trip.Exit == 0, trip.Output);
        var health = await RunAsync(["health", "--format", "json"], environment);
        Assert.True(health.Exit == 1, health.Output);
        Assert.Contains("runaway agent", health.Output);
        Assert.Contains($"schema {_schema}", health.Output);
        Assert.Equal(1, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM audit_log WHERE action LIKE '%trip%'"));

        foreach (var output in new[] { report.Output, trip.Output, health.Output }) Assert.DoesNotContain(PostgresServer.Password, output);
    }

    [Fact]
    public async Task Import_creates_the_schema_and_a_second_import_of_the_same_log_adds_nothing()
    {
        var log = _dir.File("usage.jsonl");
        await File.WriteAllLinesAsync(log,
        [
            """{"timestamp": "2025-12-25T10:30:00Z", "model": "gpt-4o", "input_tokens": 120, "output_tokens": 30, "request_id": "req-1"}""",
            """{"timestamp": "2025-12-25T10:31:00Z", "model": "gpt-4o-mini", "input_tokens": 50, "output_tokens": 10, "request_id": "req-2"}""",
            """{"timestamp": "2025-12-25T10:32:00Z", "model": "gpt-4o", "input_tokens": 7, "output_tokens": 3, "request_id": "req-3"}""",
        ]);

        var first = await RunAsync(["import", "--connection", Connection, "--file", log, "--format", "auto", "--output", "json"]);
        var second = await RunAsync(["import", "--connection", Connection, "--file", log, "--format", "auto", "--output", "json"]);

        Assert.True(first.Exit == 0, first.Output);
        Assert.True(second.Exit == 0, second.Output);
        using (var json = JsonDocument.Parse(first.Output)) Assert.Equal(3, json.RootElement.GetProperty("imported").GetInt64());
        using (var json = JsonDocument.Parse(second.Output))
        {
            Assert.Equal(0, json.RootElement.GetProperty("imported").GetInt64());
            Assert.Equal(3, json.RootElement.GetProperty("duplicates").GetInt64());
        }
        Assert.Equal(3, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(177, await Records.ScalarAsync(fixture.Server, _schema, "SELECT sum(input_tokens) FROM usage_hourly"));
        Assert.DoesNotContain(PostgresServer.Password, first.Output + second.Output);
    }

    [Fact]
    public async Task A_schema_without_a_ledger_is_unreachable_and_is_not_created_by_a_report()
    {
        var run = await RunAsync(["report", "--connection", Connection, "--format", "json"]);
        Assert.Equal(2, run.Exit);
        Assert.Contains("holds no GuardedAI ledger", run.Output);
        Assert.DoesNotContain(PostgresServer.Password, run.Output);
        Assert.Equal(0, await Records.ScalarAsync(fixture.Server, "public", $"SELECT count(*) FROM pg_namespace WHERE nspname = '{_schema}'"));
    }

    [Fact]
    public async Task Verify_and_retention_work_on_a_postgresql_ledger_with_the_exit_codes_of_sqlite()
    {
        // Records of 1 to 5 March 2025 and of today: retention at "now" = 20 April 2025 with 30 days of raw records removes March's.
        var old = Enumerable.Range(0, 40).Select(i => Records.Record(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero).AddHours(3 * i), id: "old" + i)).ToList();
        var recent = Enumerable.Range(0, 10).Select(i => Records.Record(new DateTimeOffset(2025, 4, 20, 0, 0, 0, TimeSpan.Zero).AddMinutes(i), id: "new" + i)).ToList();
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Records.Options(fixture.Server, _schema, _dir.File("spill.jsonl"))))
        {
            foreach (var r in old.Concat(recent)) await ledger.AppendAsync(r);
        }

        var intact = await RunAsync(["verify", "--connection", Connection, "--format", "json"]);
        Assert.True(intact.Exit == 0, intact.Output);
        using (var json = JsonDocument.Parse(intact.Output))
        {
            Assert.Equal("intact", json.RootElement.GetProperty("status").GetString());
            Assert.Equal(50, json.RootElement.GetProperty("entries").GetInt64());
        }

        var preview = await RunAsync(["retention", "--connection", Connection, "--raw-days", "30", "--rollup-months", "2", "--now", "2025-04-20", "--format", "json"]);
        Assert.True(preview.Exit == 0, preview.Output);
        using (var json = JsonDocument.Parse(preview.Output))
        {
            Assert.False(json.RootElement.GetProperty("applied").GetBoolean());
            Assert.Equal(40, json.RootElement.GetProperty("records").GetInt64());
        }
        Assert.Equal(50, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        var applied = await RunAsync(["retention", "--connection", Connection, "--raw-days", "30", "--rollup-months", "2", "--now", "2025-04-20", "--apply", "--format", "json"]);
        Assert.True(applied.Exit == 0, applied.Output);
        using (var json = JsonDocument.Parse(applied.Output)) Assert.Equal(40, json.RootElement.GetProperty("records").GetInt64());
        Assert.Equal(10, await Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(0, (await RunAsync(["verify", "--connection", Connection])).Exit);

        await fixture.Server.ExecuteAsync($"UPDATE \"{_schema}\".usage_records SET cost_usd = 0 WHERE id = 'new3'");
        var tampered = await RunAsync(["verify", "--connection", Connection]);
        Assert.True(tampered.Exit == 1, tampered.Output);
        Assert.Contains("record new3", tampered.Output);
        Assert.DoesNotContain(PostgresServer.Password, intact.Output + preview.Output + applied.Output + tampered.Output);

        var wrongSchema = new NpgsqlConnectionStringBuilder(Connection) { SearchPath = "t_nothing_here" }.ConnectionString;
        Assert.Equal(2, (await RunAsync(["verify", "--connection", wrongSchema])).Exit);
    }
}

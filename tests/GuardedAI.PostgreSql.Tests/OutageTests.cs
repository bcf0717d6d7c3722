using System.Diagnostics;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// PostgreSQL stopped under the ledger, on a server of the test's own: appends never wait past the bound, records
/// spill to a local file durably, an alert says so, and once the server is back the spill is replayed — every record
/// once — and an alert says it drained.
/// </summary>
[Collection("postgres")]
public sealed class OutageTests(PostgresFixture fixture) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(500);
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose()
    {
        fixture.Restartable.Start();
        _dir.Dispose();
    }

    private PostgreSqlLedgerOptions Options(PostgresServer server) => new()
    {
        ConnectionString = server.ConnectionString(),
        Schema = _schema,
        SpillPath = _dir.File("spill.jsonl"),
        WriteTimeout = Bound,
        RetryInterval = TimeSpan.FromMilliseconds(200),
    };

    private static async Task<TimeSpan> AppendAllAsync(PostgreSqlUsageLedger ledger, IReadOnlyList<UsageRecord> records, int callers = 32)
    {
        var slowest = TimeSpan.Zero;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < records.Count)
            {
                var watch = Stopwatch.StartNew();
                await ledger.AppendAsync(records[i]);
                lock (records) if (watch.Elapsed > slowest) slowest = watch.Elapsed;
            }
        })));
        return slowest;
    }

    /// <summary>
    /// Spills <paramref name="records"/> in order into one file: the server's tables get <paramref name="setup"/> (run with
    /// the ledger's schema in place), the server stops, and a ledger that never tries the database again meanwhile appends
    /// them (an attempt in the middle would move the spill aside and split it into two files, each chunked on its own).
    /// </summary>
    private async Task SpillAsOneFileAsync(PostgresServer server, IReadOnlyList<UsageRecord> records, string setup)
    {
        var outage = Options(server);
        outage.BatchSize = 10;
        outage.RetryInterval = TimeSpan.FromHours(1);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(outage))
        {
            await Records.ScalarAsync(server, _schema, setup);
            server.Stop("immediate");
            foreach (var record in records) await ledger.AppendAsync(record); // one caller: the spill holds them in this order
            Assert.Equal(records.Count, ledger.SpillCount);
        }
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public async Task Appends_during_an_outage_return_within_the_bound_and_are_replayed_once_when_the_server_is_back()
    {
        var server = fixture.Restartable;
        var sink = new RecordingSink();
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options(server), alertSinks: [sink]);
        var before = Records.Generate(100, seed: 1);
        var during = Records.Generate(300, seed: 2);
        await AppendAllAsync(ledger, before);

        server.Stop("immediate");
        TimeSpan slowest, lag;
        await using (var pool = PoolLag.Start())
        {
            slowest = await AppendAllAsync(ledger, during);
            lag = pool.Max;
        }

        // Every append returned within the write bound plus the spill's write, and every record is durable in the spill.
        // The database's part, the local disk's part (one group fsync before its own at worst), a loaded machine.
        var allowed = Bound + 2 * ledger.LongestSpillWrite + lag + TimeSpan.FromMilliseconds(1000);
        Assert.True(slowest < allowed, $"an append took {slowest.TotalMilliseconds:0} ms, more than {allowed.TotalMilliseconds:0} ms (thread pool lag {lag.TotalMilliseconds:0} ms)");
        Assert.True(ledger.IsSpilling);
        Assert.True(ledger.SpillCount >= during.Count, $"spill holds {ledger.SpillCount}");
        var spilled = File.ReadAllLines(ledger.SpillPath).Select(l => System.Text.Json.JsonSerializer.Deserialize<UsageRecord>(l)!.Id).ToHashSet();
        Assert.Superset(during.Select(r => r.Id).ToHashSet(), spilled);
        await Until.TrueAsync(() => sink.Alerts.Any(a => a.Level == AlertLevel.StoreUnavailable), TimeSpan.FromSeconds(5), "the spill alert");

        server.Start();
        await Until.TrueAsync(() => !ledger.IsSpilling && ledger.SpillCount == 0, TimeSpan.FromSeconds(20), "the spill to drain");
        await Until.TrueAsync(() => sink.Alerts.Any(a => a.Level == AlertLevel.StoreRecovered), TimeSpan.FromSeconds(5), "the drained alert");

        var all = before.Concat(during).ToList();
        Assert.Equal(all.Count, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(all.Count, await Records.ScalarAsync(server, _schema, "SELECT sum(requests) FROM usage_hourly"));
        Assert.Equal(all.Sum(r => r.OutputTokens), await Records.ScalarAsync(server, _schema, "SELECT sum(output_tokens) FROM usage_hourly"));
        // The replay chained each spilled record once, into this instance's segments: the chain verifies.
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(Options(server));
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(all.Count, verification.Entries);
        var read = await ledger.ReadAllAsync(UsageQuery.All);
        Assert.Equal(all.Select(r => r.Id).Order(), read.Select(r => r.Id).Order());
        Assert.False(File.Exists(ledger.SpillPath));
        Assert.Equal(1, sink.Alerts.Count(a => a.Level == AlertLevel.StoreUnavailable));
        Assert.Contains("spill", sink.Alerts.First(a => a.Level == AlertLevel.StoreRecovered).Message);

        // After the outage, appends go straight to the database again.
        var written = ledger.WrittenCount;
        await ledger.AppendAsync(Records.Record(DateTimeOffset.UtcNow));
        Assert.Equal(written + 1, ledger.WrittenCount);
    }

    [Fact]
    public async Task A_hung_server_holds_no_append_past_the_bound_and_gets_every_record_once_when_it_answers_again()
    {
        var server = fixture.Restartable;
        var sink = new RecordingSink();
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options(server), alertSinks: [sink]);
        await AppendAllAsync(ledger, Records.Generate(20, seed: 30));
        var during = Records.Generate(150, seed: 31);

        server.Freeze(); // connections open but nothing answers: only the write timeout ends a wait
        TimeSpan slowest, lag;
        try
        {
            await using (var pool = PoolLag.Start())
            {
                slowest = await AppendAllAsync(ledger, during);
                lag = pool.Max;
            }
            await Until.TrueAsync(() => ledger.IsSpilling, TimeSpan.FromSeconds(10), "the writer to give up on the hung server and spill");
        }
        finally
        {
            server.Thaw();
        }

        // Without the bound an append would wait for the frozen server until Npgsql's own timeouts, seconds more.
        var allowed = Bound + 2 * ledger.LongestSpillWrite + lag + TimeSpan.FromMilliseconds(1000);
        Assert.True(slowest < allowed, $"an append took {slowest.TotalMilliseconds:0} ms, more than {allowed.TotalMilliseconds:0} ms (thread pool lag {lag.TotalMilliseconds:0} ms)");
        await Until.TrueAsync(() => !ledger.IsSpilling && ledger.SpillCount == 0, TimeSpan.FromSeconds(30), "the spill to drain");
        Assert.Equal(170, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal(170, await Records.ScalarAsync(server, _schema, "SELECT sum(requests) FROM usage_hourly"));
        // Records both spilled (their calls' wait ran out) and written by the writer once the server answered were skipped
        // by the replay before being chained: every record is in the chain once, and the chain verifies.
        Assert.Equal(170, await Records.ScalarAsync(server, _schema, "SELECT sum(length) FROM chain_heads"));
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(Options(server));
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(170, verification.Entries);
        await Until.TrueAsync(() => sink.Alerts.Any(a => a.Level == AlertLevel.StoreUnavailable && a.Message.Contains("unreachable", StringComparison.Ordinal)), TimeSpan.FromSeconds(5), "the spill alert");
    }

    [Fact]
    public async Task Records_spilled_when_the_ledger_closed_during_an_outage_are_replayed_when_it_next_opens()
    {
        var server = fixture.Restartable;
        var records = Records.Generate(120, seed: 9);
        await using (var ledger = await PostgreSqlUsageLedger.OpenAsync(Options(server)))
        {
            server.Stop("fast");
            await AppendAllAsync(ledger, records);
        }
        // The records are on disk (closing tried the database once more, and left them there for the next start).
        var left = Directory.GetFiles(_dir.Path).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(records.Count, left.Sum(f => File.ReadAllLines(f).Length));
        // A crash mid-write leaves a torn last line; it was never acknowledged, and it must not stop the replay.
        await File.AppendAllTextAsync(left[^1], "{\"Id\":\"torn");

        server.Start();
        var logs = new CapturingLoggerProvider();
        await using (var reopened = await PostgreSqlUsageLedger.OpenAsync(Options(server), logs.CreateLogger("test")))
        {
            Assert.False(reopened.IsSpilling);
            Assert.Equal(0, reopened.SpillCount);
            Assert.Equal(records.Count, reopened.ReplayedCount);
        }
        Assert.Equal(records.Count, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Contains(logs.Lines, l => l.Contains("[1906]", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public async Task A_database_that_answers_but_takes_no_writes_opens_and_keeps_every_record_in_the_spill_until_it_does()
    {
        // A failover that leaves the instances on a read-only standby (SQLSTATE 25006): the database answers, and refuses
        // every insert. An instance that starts then still opens (its schema is current: nothing to migrate, nothing to
        // write), and no record is failed and forgotten for it: they wait in the spill.
        var server = fixture.Restartable;
        const string ReadOnly = "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$; SELECT 1";
        const string Writable = "SET TRANSACTION READ WRITE; DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END $$; SELECT 1";
        await (await PostgreSqlUsageLedger.OpenAsync(Options(server))).DisposeAsync(); // the schema, before the failover
        await Records.ScalarAsync(server, _schema, ReadOnly);
        try
        {
            await using var ledger = await PostgreSqlUsageLedger.OpenAsync(Options(server)); // new sessions: read-only
            var records = Records.Generate(30, seed: 41);
            foreach (var record in records) await ledger.AppendAsync(record);
            Assert.Equal(0, ledger.FailedCount);
            Assert.Equal(30, ledger.SpillCount);
            Assert.True(ledger.IsSpilling);

            await Records.ScalarAsync(server, _schema, Writable);
            await Until.TrueAsync(() => ledger.SpillCount == 0 && !ledger.IsSpilling, TimeSpan.FromSeconds(30), "the spill to be replayed",
                () => $"spill={ledger.SpillCount} replayed={ledger.ReplayedCount} failed={ledger.FailedCount}");
            Assert.Equal(30, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
            Assert.Equal(0, ledger.FailedCount);
        }
        finally
        {
            await Records.ScalarAsync(server, _schema, Writable);
        }
    }

    [Fact]
    public async Task A_full_spill_makes_the_ledger_unavailable_and_keeps_the_records_until_the_database_takes_them()
    {
        var server = fixture.Restartable;
        var options = Options(server);
        options.SpillCapacity = 50;
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(options);
        server.Stop("fast");
        var records = Records.Generate(80, seed: 4);
        await AppendAllAsync(ledger, records, callers: 8);

        await Until.TrueAsync(() => !ledger.IsAvailable, TimeSpan.FromSeconds(10), "the ledger to report itself unavailable");
        Assert.Contains("full", ledger.UnavailableReason);
        Assert.True(ledger.SpillCount <= 50);

        server.Start();
        await Until.TrueAsync(() => ledger.IsAvailable && !ledger.IsSpilling && ledger.PendingCount == 0 && ledger.SpillCount == 0, TimeSpan.FromSeconds(20), "everything to be written");
        Assert.Equal(records.Count, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
    }

    [Fact]
    public async Task A_replay_that_stops_part_way_through_a_file_resumes_after_what_it_wrote_and_counts_off_the_spill_batch_by_batch()
    {
        var server = fixture.Restartable;
        var records = Records.Generate(100, seed: 40);
        records[55] = records[55] with { Id = "slow-once" };
        // Every insert statement is counted, and the one holding "slow-once" takes longer than the replay waits for a batch,
        // the first time only (sequences are not rolled back with the statement that advanced them).
        await SpillAsOneFileAsync(server, records, """
            CREATE SEQUENCE insert_statements;
            CREATE SEQUENCE slow;
            CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('insert_statements'); RETURN NULL; END $$;
            CREATE TRIGGER count_statement BEFORE INSERT ON usage_records FOR EACH STATEMENT EXECUTE FUNCTION count_statement();
            CREATE FUNCTION slow_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.id = 'slow-once' AND nextval('slow') = 1 THEN PERFORM pg_sleep(15); END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER slow_once BEFORE INSERT ON usage_records FOR EACH ROW EXECUTE FUNCTION slow_once();
            SELECT 1
            """);

        // The next start replays the spill as it opens: five batches of ten go in, the sixth times out (five write timeouts:
        // 5 s, where a batch takes milliseconds). The rest stays in the spill, and the writer replays it in the background.
        server.Start();
        var options = Options(server);
        options.BatchSize = 10;
        options.WriteTimeout = TimeSpan.FromSeconds(1);
        var logs = new CapturingLoggerProvider();
        await using var reopened = await PostgreSqlUsageLedger.OpenAsync(options, logs.CreateLogger("test"));
        Assert.Equal(50, reopened.ReplayedCount);
        Assert.Equal(50, reopened.SpillCount);
        Assert.Contains(logs.Lines, l => l.Contains("[1907]", StringComparison.Ordinal));
        await Until.TrueAsync(() => reopened.SpillCount == 0 && !reopened.IsSpilling, TimeSpan.FromSeconds(30), "the spill to be replayed",
            () => $"spill={reopened.SpillCount} replayed={reopened.ReplayedCount} spilling={reopened.IsSpilling}");

        Assert.Equal(100, reopened.ReplayedCount);
        Assert.Equal(100, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        // Ten batches of ten, and the sixth sent twice: 11 insert statements. The round that finished resumed at the sixth
        // batch: it found none of its records already there (starting the file again would have found the first fifty).
        Assert.Equal(11, await Records.ScalarAsync(server, _schema, "SELECT last_value FROM insert_statements"));
        Assert.Contains(logs.Lines, l => l.Contains("[1902]", StringComparison.Ordinal) && l.Contains("replayed 50 usage record(s)", StringComparison.Ordinal)
            && l.Contains("(0 were already there)", StringComparison.Ordinal));
        Assert.Equal(0, reopened.FailedCount);
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(Options(server));
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
    }

    [Fact]
    public async Task A_spilled_record_the_database_refuses_is_kept_aside_and_the_spill_behind_it_is_replayed()
    {
        // A constraint an operator added during the outage refuses one spilled record. The replay writes its batch one record
        // at a time, keeps the refused one in the refused-records file, and goes on: the records behind it are not held back.
        var server = fixture.Restartable;
        var records = Records.Generate(30, seed: 42);
        records[15] = records[15] with { Id = "poison" };
        await SpillAsOneFileAsync(server, records, "ALTER TABLE usage_records ADD CONSTRAINT no_poison CHECK (id <> 'poison'); SELECT 1");

        server.Start();
        var options = Options(server);
        options.BatchSize = 10;
        var logs = new CapturingLoggerProvider();
        string refusedPath;
        await using (var reopened = await PostgreSqlUsageLedger.OpenAsync(options, logs.CreateLogger("test")))
        {
            Assert.Equal(0, reopened.SpillCount);
            Assert.Equal(29, reopened.ReplayedCount);
            Assert.Equal(1, reopened.FailedCount);
            refusedPath = reopened.RefusedPath;
        }
        Assert.Equal(29, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        Assert.Equal("poison", Assert.Single(File.ReadAllLines(refusedPath).Select(l => System.Text.Json.JsonSerializer.Deserialize<UsageRecord>(l)!.Id)));
        Assert.Contains(logs.Lines, l => l.Contains("[1910]", StringComparison.Ordinal) && l.Contains("poison", StringComparison.Ordinal) && l.Contains("no_poison", StringComparison.Ordinal));

        // The next start says it waits there; once the constraint is gone, the file moved as the log says is replayed.
        var again = new CapturingLoggerProvider();
        await (await PostgreSqlUsageLedger.OpenAsync(options, again.CreateLogger("test"))).DisposeAsync();
        Assert.Contains(again.Lines, l => l.Contains("[1912]", StringComparison.Ordinal) && l.Contains(refusedPath, StringComparison.Ordinal));
        await Records.ScalarAsync(server, _schema, "ALTER TABLE usage_records DROP CONSTRAINT no_poison; SELECT 1");
        File.Move(refusedPath, options.SpillPath + ".replay-refused");
        await using (var fixedUp = await PostgreSqlUsageLedger.OpenAsync(options))
        {
            Assert.Equal(1, fixedUp.ReplayedCount);
            Assert.Equal(0, fixedUp.SpillCount);
        }
        Assert.Equal(30, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(Options(server));
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
    }

    [Fact]
    public async Task Callers_that_never_pause_do_not_keep_the_spill_from_draining_once_the_server_is_back()
    {
        // Callers that spill as fast as the disk takes them, and a database that takes 0.2 s per insert statement (a slow disk
        // under it, other instances replaying): were new records kept in the spill until the replay was done, each round of
        // the replay would find a bigger file than the last and the spill would never empty.
        var server = fixture.Restartable;
        var options = Options(server);
        options.SpillCapacity = 5_000; // bounds the replay's work (and the test's time), not the callers
        await using var ledger = await PostgreSqlUsageLedger.OpenAsync(options);
        await Records.ScalarAsync(server, _schema, """
            CREATE FUNCTION slow_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NULL; END $$;
            CREATE TRIGGER slow_statement AFTER INSERT ON usage_records FOR EACH STATEMENT EXECUTE FUNCTION slow_statement();
            SELECT 1
            """);
        server.Stop("immediate");
        var appended = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var record = Records.Record(DateTimeOffset.UtcNow);
                await ledger.AppendAsync(record);
                appended.Add(record.Id);
            }
        })).ToList();
        try
        {
            await Until.TrueAsync(() => ledger.IsSpilling && ledger.SpillCount >= 500, TimeSpan.FromSeconds(30), "the callers to spill 500 records");
            server.Start();
            await Until.TrueAsync(() => !ledger.IsSpilling, TimeSpan.FromSeconds(30), "new records to go to the database again while the callers go on",
                () => $"spill={ledger.SpillCount} written={ledger.WrittenCount} replayed={ledger.ReplayedCount}");
            // The backlog drains while the callers go on (counted off batch by batch as the database takes it). Not to zero:
            // on a machine busy enough that a caller's wait on the slowed database runs out, that caller spills its record
            // itself, and the replay takes it in its next round — the spill is emptied once the callers stop (below).
            var written = ledger.WrittenCount;
            var backlog = ledger.SpillCount;
            await Until.TrueAsync(() => ledger.WrittenCount > written + 100 && ledger.SpillCount <= backlog / 2, TimeSpan.FromSeconds(60),
                $"half of the {backlog} spilled records to be replayed while the callers' records go to the database",
                () => $"spill={ledger.SpillCount} written={ledger.WrittenCount} replayed={ledger.ReplayedCount} spilling={ledger.IsSpilling}");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(callers);
        }
        await ledger.FlushAsync();
        // The last calls' records may have gone to the spill on their own (their wait on the slowed database ran out): they
        // are replayed at the next retry, with no new append to wake the writer.
        await Until.TrueAsync(() => ledger.SpillCount == 0, TimeSpan.FromSeconds(60), "the rest of the spill to be replayed once the callers stopped",
            () => $"spill={ledger.SpillCount} replayed={ledger.ReplayedCount} spilling={ledger.IsSpilling}");
        Assert.Equal(appended.Count, await Records.ScalarAsync(server, _schema, "SELECT count(*) FROM usage_records"));
        var stored = new HashSet<string>();
        foreach (var record in await ledger.ReadAllAsync(UsageQuery.All)) Assert.True(stored.Add(record.Id), $"{record.Id} is stored twice");
        Assert.True(stored.SetEquals(appended), "every acknowledged record is stored, and nothing else");
        var verification = await PostgreSqlLedgerVerifier.VerifyAsync(Options(server));
        Assert.True(verification.IsIntact, string.Join("\n", verification.Findings));
        Assert.Equal(appended.Count, verification.Entries);
    }
}

using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Retention;
using GuardedAI.PostgreSql;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai retention</c>: shows what a retention policy removes from the ledger now (raw records older than
/// <c>--raw-days</c>, rollups older than <c>--rollup-months</c>, never the current month or an open billing period from
/// <c>--keep-from</c>), and with <c>--apply</c> removes it in bounded batches.
/// </summary>
internal static class RetentionCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var rawDays = new Option<int>("--raw-days") { Description = "Days of raw records to keep (default 90).", DefaultValueFactory = _ => 90 };
        var rollupMonths = new Option<int>("--rollup-months") { Description = "Months of rollups to keep (default 25).", DefaultValueFactory = _ => 25 };
        var keepFrom = new Option<string?>("--keep-from") { Description = "Start of an open or unpaid billing period (yyyy-MM-dd, UTC): nothing from it on is removed." };
        var apply = new Option<bool>("--apply") { Description = "Remove what the policy lets go (without it, only shows it)." };
        var now = Args.Now();
        var format = Args.Format("table", "table", "json");
        var command = new Command("retention", "Shows, and with --apply removes, what the retention policy lets go: raw records after N days, rollups after M months.")
        {
            rawDays, rollupMonths, keepFrom, apply, now, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = Args.ParseFormat(parse.GetValue(format)!) == OutputFormat.Json;
            var clock = parse.GetValue(now) is { } n ? Args.ParseTime(n, "--now", TimeZoneInfo.Utc, out _) : DateTimeOffset.UtcNow;
            DateTimeOffset? keep = parse.GetValue(keepFrom) is { } k ? Args.ParseTime(k, "--keep-from", TimeZoneInfo.Utc, out _) : null;
            var policy = new RetentionPolicy { RawRecordDays = parse.GetValue(rawDays), RollupMonths = parse.GetValue(rollupMonths) };
            try
            {
                policy.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw CliException.Usage(ex.ParamName == nameof(RetentionPolicy.RawRecordDays) ? "--raw-days" : "--rollup-months", ex.Message.Split(" (Parameter")[0]);
            }
            var ledger = LedgerAccess.Open(globals.LedgerPath(parse));
            RetentionReport report;
            try
            {
                // A SQLite file or a PostgreSQL ledger (--connection): the same policy, the same steps.
                report = (ledger.Target.Postgres, parse.GetValue(apply)) switch
                {
                    ({ } postgres, true) => await PostgreSqlLedgerRetention.ApplyAsync(postgres, policy, clock, keep, cancellationToken).ConfigureAwait(false),
                    ({ } postgres, false) => await PostgreSqlLedgerRetention.PreviewAsync(postgres, policy, clock, keep, cancellationToken).ConfigureAwait(false),
                    (null, true) => SqliteLedgerRetention.Apply(ledger.SqlitePath!, policy, clock, keep, cancellationToken),
                    (null, false) => SqliteLedgerRetention.Preview(ledger.SqlitePath!, policy, clock, keep),
                };
            }
            catch (Exception ex) when (ex is SqliteException or NpgsqlException or TimeoutException || ex is InvalidOperationException && ledger.Target.Postgres is not null)
            {
                throw new CliException(ExitCodes.Unreachable, $"The ledger {ledger.Location} cannot be changed: {ex.Message}");
            }
            Report(globals.Terminal(parse), json, parse.GetValue(apply), report);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Report(Terminal terminal, bool json, bool applied, RetentionReport report)
    {
        if (json)
        {
            Json.Write(terminal.Out, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("applied", applied);
                w.WriteString("rawBefore", report.Plan.RawBefore);
                w.WriteString("rollupsBefore", report.Plan.RollupsBefore);
                if (report.Plan.HeldBackBy is { } held) w.WriteString("heldBackBy", held);
                w.WriteNumber("records", report.Records);
                w.WriteNumber("auditEntries", report.AuditEntries);
                w.WriteNumber("segments", report.Segments);
                w.WriteNumber("rollupRows", report.RollupRows);
                w.WriteNumber("batches", report.Batches);
                w.WriteEndObject();
            });
            return;
        }
        var verb = applied ? "removed" : "would remove";
        terminal.Console.WriteLine($"raw records and audit entries before {report.Plan.RawBefore:yyyy-MM-dd} (UTC), rollups before {report.Plan.RollupsBefore:yyyy-MM-dd}"
            + (report.Plan.HeldBackBy is { } h ? $" (held back to keep {h})" : ""));
        terminal.Console.WriteLine($"  {verb}: {Fmt.N(report.Records)} records, {Fmt.N(report.AuditEntries)} audit entries in {Fmt.N(report.Segments)} chain segments, {Fmt.N(report.RollupRows)} rollup rows"
            + (applied ? $" ({Fmt.N(report.Batches)} batches)" : " — run again with --apply to remove them"));
    }
}

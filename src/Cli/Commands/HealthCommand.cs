using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using Microsoft.Data.Sqlite;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai health</c>, for cron and systemd: exit 0 healthy; 1 degraded (the file fails its integrity check, a
/// limit is at its critical threshold or beyond) or a breaker open or an emergency stop on; 2 the ledger cannot be
/// reached or read.
/// </summary>
internal static class HealthCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var config = Args.Config();
        var now = Args.Now();
        var tz = Args.TimeZone();
        var format = Args.Format("table", "table", "json");
        var command = new Command("health", "Checks the ledger for cron and systemd. Exit 0: healthy; 1: degraded or a breaker open; 2: the ledger is unreachable.")
        {
            config, tz, now, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = Args.ParseFormat(parse.GetValue(format)!) == OutputFormat.Json;
            var zone = Args.ParseTimeZone(parse.GetValue(tz));
            var clock = parse.GetValue(now) is { } n ? Args.ParseTime(n, "--now", zone, out _) : DateTimeOffset.UtcNow;
            var settings = AppSettings.Load(parse.GetValue(config));
            var path = globals.LedgerPath(parse);
            var problems = new List<string>();
            var notes = new List<string>();
            LedgerAccess ledger;
            try
            {
                ledger = LedgerAccess.Open(path);
            }
            catch (CliException ex) when (ex.ExitCode == ExitCodes.Unreachable)
            {
                Report(globals.Terminal(parse), json, "unreachable", path.Display, [ex.Message], []);
                return ExitCodes.Unreachable;
            }

            string? integrity;
            try
            {
                integrity = ledger.SqlitePath is { } file ? QuickCheck(file) : "ok"; // PostgreSQL checks its own pages
                var description = await ledger.Queries.DescribeAsync(cancellationToken).ConfigureAwait(false);
                notes.Add($"ledger {description.Location}: {Fmt.N(description.Records)} records, schema {description.SchemaVersion}"
                    + (description.Last is { } last ? $", last record {Fmt.Time(last, zone)}" : ""));
            }
            catch (Exception ex) when (ex is SqliteException or Npgsql.NpgsqlException)
            {
                Report(globals.Terminal(parse), json, "unreachable", path.Display, [$"The ledger {path.Display} cannot be read: {ex.Message}"], []);
                return ExitCodes.Unreachable;
            }
            if (!string.Equals(integrity, "ok", StringComparison.OrdinalIgnoreCase)) problems.Add($"integrity check failed: {integrity}");

            var (scopes, global) = await ScopeStatus.ReadAllAsync(ledger, settings, clock, zone, cancellationToken).ConfigureAwait(false);
            if (global is { State: CircuitBreakerState.EmergencyStopped }) problems.Add($"emergency stop is on: {global.Reason}");
            foreach (var scope in scopes)
            {
                if (scope.BreakerBlocks(clock))
                {
                    var b = scope.Breaker!;
                    problems.Add(b.State == CircuitBreakerState.EmergencyStopped
                        ? $"{scope.Kind} '{scope.Name}' is emergency-stopped: {b.Reason}"
                        : $"{scope.Kind} '{scope.Name}': breaker open until {Fmt.Time(b.OpenUntil, zone)} ({b.Reason})");
                }
                if (scope.Level is "critical" or "trip")
                {
                    var worst = scope.Limits.MaxBy(l => l.Percent);
                    problems.Add($"{scope.Kind} '{scope.Name}': {worst.Limit} is at {Fmt.Percent(worst.Percent)}");
                }
            }
            if (!settings.HasBudgets) notes.Add("limits not checked (give --config with the application's settings to check them)");
            var status = problems.Count == 0 ? "healthy" : "degraded";
            Report(globals.Terminal(parse), json, status, path.Display, problems, notes);
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Degraded;
        });
        return command;
    }

    private static string? QuickCheck(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check;";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Report(Terminal terminal, bool json, string status, string path, IReadOnlyList<string> problems, IReadOnlyList<string> notes)
    {
        if (json)
        {
            Json.Write(terminal.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", status);
                w.WriteString("ledger", path);
                w.WriteStartArray("problems");
                foreach (var p in problems) w.WriteStringValue(p);
                w.WriteEndArray();
                w.WriteStartArray("notes");
                foreach (var n in notes) w.WriteStringValue(n);
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        var color = status == "healthy" ? "green" : status == "degraded" ? "yellow" : "red";
        terminal.Console.MarkupLine($"[bold {color}]{status}[/]");
        foreach (var p in problems) terminal.Console.WriteLine("  problem: " + p);
        foreach (var n in notes) terminal.Console.WriteLine("  " + n);
    }
}

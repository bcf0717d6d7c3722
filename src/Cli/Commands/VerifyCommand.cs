using System.CommandLine;
using System.Diagnostics;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Integrity;
using GuardedAI.PostgreSql;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai verify</c>: checks the ledger's tamper-evident chain and names every changed, deleted, inserted or
/// reordered record or audit entry. Exit 0: intact; 1: tampering found; 2: the ledger cannot be read or has no chain.
/// </summary>
internal static class VerifyCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var format = Args.Format("table", "table", "json");
        var command = new Command("verify", "Verifies the ledger's hash chain: names every changed, deleted, inserted or reordered record and audit entry. Exit 0: intact; 1: tampering found; 2: unreadable.")
        {
            format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = Args.ParseFormat(parse.GetValue(format)!) == OutputFormat.Json;
            var ledger = LedgerAccess.Open(globals.LedgerPath(parse));
            var watch = Stopwatch.StartNew();
            LedgerVerification result;
            try
            {
                // A SQLite file or a PostgreSQL ledger (--connection): the same chain, the same verifier, the same exit codes.
                result = ledger.Target.Postgres is { } postgres
                    ? await PostgreSqlLedgerVerifier.VerifyAsync(postgres, cancellationToken).ConfigureAwait(false)
                    : SqliteLedgerVerifier.Verify(ledger.SqlitePath!, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or SqliteException or NpgsqlException or TimeoutException)
            {
                throw new CliException(ExitCodes.Unreachable, ex is NpgsqlException ? $"The ledger {ledger.Location} cannot be read: {ex.Message}" : ex.Message);
            }
            Report(globals.Terminal(parse), json, ledger.Location, result, watch.Elapsed);
            return result.IsIntact ? ExitCodes.Ok : ExitCodes.Degraded;
        });
        return command;
    }

    private static void Report(Terminal terminal, bool json, string location, LedgerVerification result, TimeSpan elapsed)
    {
        if (json)
        {
            Json.Write(terminal.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("ledger", location);
                w.WriteString("status", result.IsIntact ? "intact" : "tampered");
                w.WriteNumber("entries", result.Entries);
                w.WriteNumber("segments", result.Segments);
                w.WriteNumber("unchained", result.Unchained);
                w.WriteString("digest", result.Digest);
                w.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
                w.WriteStartArray("findings");
                foreach (var f in result.Findings)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", f.Kind.ToString().ToLowerInvariant());
                    w.WriteString("segment", f.Segment);
                    if (f.Position is { } position) w.WriteNumber("position", position);
                    else w.WriteNull("position");
                    w.WriteString("entry", f.Name);
                    w.WriteString("message", f.Message);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        terminal.Console.MarkupLine(result.IsIntact ? "[bold green]intact[/]" : "[bold red]tampered[/]");
        terminal.Console.WriteLine($"  ledger {location}: {Fmt.N(result.Entries)} chained entries in {Fmt.N(result.Segments)} segments, checked in {elapsed.TotalSeconds:0.00} s");
        if (result.Unchained > 0) terminal.Console.WriteLine($"  {Fmt.N(result.Unchained)} entries were written before the chain existed (SQLite schema < 7, PostgreSQL < 4) and cannot be checked");
        terminal.Console.WriteLine($"  digest of all heads: {result.Digest} (keep it elsewhere to detect a rewrite of whole segments)");
        foreach (var f in result.Findings) terminal.Console.WriteLine($"  {f.Kind.ToString().ToLowerInvariant()}: {f.Message}");
    }
}

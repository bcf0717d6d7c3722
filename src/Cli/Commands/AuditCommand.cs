using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai audit</c>: the audit trail of a period, oldest first — operators' breaker trips and resets, emergency
/// stops, counter resets and imports, and the hosts' own <c>config.changed</c> entries (the budgets a host started or
/// reloaded with, when they differ from the last recorded). On SQLite every entry is a link of the chain
/// <c>guardedai verify</c> checks.
/// </summary>
internal static class AuditCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var range = new RangeOptions();
        var format = Args.Format();
        var action = new Option<string?>("--action")
        {
            Description = "Only entries of this action (config.changed, breaker.trip, …), or of a family (breaker, config).",
            HelpName = "NAME",
        };
        var command = new Command("audit", "The audit trail of a period, oldest first: breaker trips and resets, emergency stops, counter resets, imports, and configuration changes (config.changed: which budgets a host started or reloaded with, and what changed).");
        range.AddTo(command);
        command.Add(action);
        command.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var resolved = range.Resolve(parse);
            var only = parse.GetValue(action);
            var ledger = globals.OpenLedger(parse);
            var entries = new List<OperatorAction>();
            await foreach (var entry in ledger.Operations.ReadAsync(resolved.From, resolved.To, cancellationToken).ConfigureAwait(false))
            {
                if (only is null || entry.Action == only || entry.Action.StartsWith(only + ".", StringComparison.Ordinal)) entries.Add(entry);
            }
            var terminal = globals.Terminal(parse);
            switch (output)
            {
                case OutputFormat.Json:
                    Json.Write(terminal.Out, w =>
                    {
                        w.WriteStartObject();
                        w.Time("from", resolved.From);
                        w.Time("to", resolved.To);
                        w.WriteStartArray("entries");
                        foreach (var e in entries)
                        {
                            w.WriteStartObject();
                            w.Time("time", e.Timestamp);
                            w.WriteString("actor", e.Actor);
                            w.WriteString("action", e.Action);
                            w.StringOrNull("scope", e.Scope);
                            w.StringOrNull("summary", Summary(e));
                            w.StringOrNull("detail", e.Detail);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    break;
                case OutputFormat.Csv:
                    var csv = new Csv(terminal.Out);
                    csv.Row("time", "actor", "action", "scope", "summary");
                    foreach (var e in entries)
                    {
                        csv.Row(Fmt.Iso(e.Timestamp), e.Actor, e.Action, e.Scope ?? "", Summary(e) ?? "");
                    }
                    break;
                default:
                    terminal.Console.WriteLine($"{Fmt.N(entries.Count)} audit entries from {Fmt.Time(resolved.From, resolved.Zone)} to {Fmt.Time(resolved.To, resolved.Zone)} in {ledger.Location}"
                        + (entries.Count == 0 ? "." : ":"));
                    if (entries.Count == 0) break;
                    var table = Fmt.NewTable(terminal, "Time", "Actor", "Action", "Scope", "What");
                    foreach (var e in entries) table.AddPlainRow(Fmt.Time(e.Timestamp, resolved.Zone), e.Actor, e.Action, e.Scope ?? "", Summary(e) ?? "");
                    terminal.Console.Write(table);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>What an entry says in words: a <c>config.changed</c> entry's summary (its detail is JSON), else its detail.</summary>
    private static string? Summary(OperatorAction entry)
    {
        if (entry.Action != "config.changed" || entry.Detail is null) return entry.Detail;
        try
        {
            using var json = JsonDocument.Parse(entry.Detail);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.String)
            {
                var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() + ": " : "";
                return reason + summary.GetString();
            }
        }
        catch (JsonException)
        {
            // A detail that is not the JSON a host writes (edited?) is shown as it is; `guardedai verify` says whether it was.
        }
        return entry.Detail;
    }
}

using System.CommandLine;
using System.Globalization;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai shadow</c>: what the budgets running in shadow (and the shadow companions) would have denied in a
/// period, from the ledger's "would have been denied" records: per scope, how many calls, what they cost, the first
/// and the last, and per budget and tenant. The report to read before switching a budget to enforce.
/// </summary>
internal static class ShadowCommand
{
    private sealed class Line(string scope)
    {
        public string Scope { get; } = scope;
        public long Calls { get; set; }
        public decimal CostUsd { get; set; }
        public DateTimeOffset First { get; set; } = DateTimeOffset.MaxValue;
        public DateTimeOffset Last { get; set; } = DateTimeOffset.MinValue;
        public Dictionary<string, long> Tenants { get; } = new(StringComparer.Ordinal);

        public void Add(UsageRecord record)
        {
            Calls++;
            CostUsd += record.CostUsd;
            if (record.Timestamp < First) First = record.Timestamp;
            if (record.Timestamp > Last) Last = record.Timestamp;
            var tenant = record.Tenant ?? "";
            Tenants[tenant] = Tenants.GetValueOrDefault(tenant) + 1;
        }
    }

    public static Command Build(GlobalOptions globals)
    {
        var range = new RangeOptions();
        var format = Args.Format();
        var command = new Command("shadow", "What budgets in shadow mode (and shadow companions) would have denied in a period: per scope, the calls, their cost, the first and the last — the calls that went ahead and that enforcing would stop.");
        range.AddTo(command);
        command.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var resolved = range.Resolve(parse);
            var ledger = globals.OpenLedger(parse);
            var lines = new Dictionary<string, Line>(StringComparer.Ordinal);
            long calls = 0, marked = 0;
            await foreach (var record in ledger.Queries.ReadRecordsAsync(resolved.From, resolved.To, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                calls++;
                if (record.WouldBeDeniedBy is not { } scopes) continue;
                marked++;
                foreach (var scope in scopes.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!lines.TryGetValue(scope, out var line)) lines[scope] = line = new Line(scope);
                    line.Add(record);
                }
            }
            var ordered = lines.Values.OrderByDescending(l => l.Calls).ThenBy(l => l.Scope, StringComparer.Ordinal).ToList();
            var terminal = globals.Terminal(parse);
            switch (output)
            {
                case OutputFormat.Json:
                    Json.Write(terminal.Out, w =>
                    {
                        w.WriteStartObject();
                        w.Time("from", resolved.From);
                        w.Time("to", resolved.To);
                        w.WriteNumber("calls", calls);
                        w.WriteNumber("wouldBeDenied", marked);
                        w.WriteStartArray("scopes");
                        foreach (var l in ordered)
                        {
                            w.WriteStartObject();
                            w.WriteString("scope", l.Scope);
                            w.WriteNumber("wouldBeDenied", l.Calls);
                            w.WriteNumber("costUsd", l.CostUsd);
                            w.Time("first", l.First);
                            w.Time("last", l.Last);
                            w.WriteStartObject("tenants");
                            foreach (var (tenant, count) in l.Tenants.OrderByDescending(t => t.Value)) w.WriteNumber(tenant, count);
                            w.WriteEndObject();
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    break;
                case OutputFormat.Csv:
                    var csv = new Csv(terminal.Out);
                    csv.Row("scope", "would_be_denied", "cost_usd", "first", "last");
                    foreach (var l in ordered) csv.Row(l.Scope, l.Calls.ToString(CultureInfo.InvariantCulture), Fmt.Plain(l.CostUsd), Fmt.Iso(l.First), Fmt.Iso(l.Last));
                    break;
                default:
                    terminal.Console.WriteLine($"{Fmt.N(calls)} calls from {Fmt.Time(resolved.From, resolved.Zone)} to {Fmt.Time(resolved.To, resolved.Zone)}; "
                        + (ordered.Count == 0 ? "no budget in shadow would have denied any." : $"{Fmt.N(marked)} would have been denied by a budget in shadow:"));
                    if (ordered.Count == 0) break;
                    var table = Fmt.NewTable(terminal, "Scope", "Would deny", "Their cost", "First", "Last", "Top tenants");
                    foreach (var l in ordered)
                    {
                        table.AddPlainRow(l.Scope, Fmt.N(l.Calls), Fmt.Usd(l.CostUsd), Fmt.Time(l.First, resolved.Zone), Fmt.Time(l.Last, resolved.Zone),
                            string.Join(", ", l.Tenants.Where(t => t.Key.Length > 0).OrderByDescending(t => t.Value).Take(3).Select(t => $"{t.Key} ({t.Value})")));
                    }
                    terminal.Console.Write(table);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai anomalies</c>: hours whose spend is far above the same hour on the days before.</summary>
internal static class AnomaliesCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var days = new Option<int>("--days") { Description = "How many days back to look for anomalies (default 7).", HelpName = "N", DefaultValueFactory = _ => 7 };
        var by = Args.Choice("--by", "Per budget or per tenant (default budget).", "budget", ["budget", "tenant"]);
        var ratio = new Option<string?>("--min-ratio") { Description = "Spend at least this multiple of the baseline median (default 3).", HelpName = "X" };
        var score = new Option<string?>("--min-score") { Description = "At least this many robust standard deviations above the median (default 5).", HelpName = "Z" };
        var minCost = new Option<string?>("--min-cost") { Description = "Ignore hours spending less than this many USD (default 0.01).", HelpName = "USD" };
        var baseline = new Option<int>("--baseline-days") { Description = "Days whose same hour forms the baseline (default 14).", HelpName = "N", DefaultValueFactory = _ => 14 };
        var now = Args.Now();
        var tz = Args.TimeZone();
        var format = Args.Format();
        var command = new Command("anomalies", "Lists hours whose spend is far above their baseline: the median of the same hour on the 14 days before (robust to earlier spikes; method in docs/reports.md).")
        {
            days, by, ratio, score, minCost, baseline, tz, now, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var window = parse.GetValue(days);
            if (window is < 1 or > 366) throw CliException.Usage("--days", $"{window} is not between 1 and 366.");
            var baselineDays = parse.GetValue(baseline);
            if (baselineDays is < 1 or > 90) throw CliException.Usage("--baseline-days", $"{baselineDays} is not between 1 and 90.");
            var settings = new AnomalySettings
            {
                BaselineDays = baselineDays,
                MinRatio = parse.GetValue(ratio) is { } r ? (double)Args.ParseDecimal(r, "--min-ratio", 1, 1_000_000) : 3,
                MinScore = parse.GetValue(score) is { } s ? (double)Args.ParseDecimal(s, "--min-score", 0, 1_000_000) : 5,
                MinCostUsd = parse.GetValue(minCost) is { } c ? Args.ParseDecimal(c, "--min-cost", 0, 1_000_000_000) : 0.01m,
            };
            var zone = Args.ParseTimeZone(parse.GetValue(tz));
            var clock = parse.GetValue(now) is { } n ? Args.ParseTime(n, "--now", zone, out _) : DateTimeOffset.UtcNow;
            var scope = parse.GetValue(by) == "tenant" ? UsageDimension.Tenant : UsageDimension.Budget;
            var ledger = globals.OpenLedger(parse);
            var found = await SpendAnomalies.FindAsync(ledger.Queries, clock.AddDays(-window), clock, scope, settings, cancellationToken).ConfigureAwait(false);
            var terminal = globals.Terminal(parse);
            switch (Args.ParseFormat(parse.GetValue(format)!))
            {
                case OutputFormat.Json:
                    Json.Write(terminal.Out, w =>
                    {
                        w.WriteStartObject();
                        w.Time("from", clock.AddDays(-window));
                        w.Time("to", clock);
                        w.WriteString("by", scope.ToString().ToLowerInvariant());
                        w.WriteStartArray("anomalies");
                        foreach (var a in found)
                        {
                            w.WriteStartObject();
                            w.WriteString("scope", a.Scope);
                            w.Time("hour", a.HourStart);
                            w.WriteNumber("costUsd", a.CostUsd);
                            w.WriteNumber("baselineUsd", a.BaselineUsd);
                            w.WriteNumber("deviationUsd", a.DeviationUsd);
                            w.NumberOrNull("ratio", a.Ratio);
                            w.NumberOrNull("score", a.Score);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    break;
                case OutputFormat.Csv:
                    var csv = new Csv(terminal.Out);
                    csv.Row("scope", "hour", "cost_usd", "baseline_usd", "deviation_usd", "ratio", "score");
                    foreach (var a in found)
                    {
                        terminal.Out.Write(string.Join(',', UsageCsv.Cell(a.Scope), Fmt.IsoSeconds(a.HourStart),
                            Fmt.Plain(a.CostUsd), Fmt.Plain(a.BaselineUsd), Fmt.Plain(a.DeviationUsd),
                            a.Ratio?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "", a.Score?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "") + "\r\n");
                    }
                    break;
                default:
                    terminal.Console.WriteLine($"{found.Count} anomalous hours in the {window} days to {Fmt.Time(clock, zone)} (per {scope.ToString().ToLowerInvariant()}; baseline: the same hour on the {baselineDays} days before).");
                    if (found.Count == 0) break;
                    var table = Fmt.NewTable(terminal, scope.ToString(), "Hour", "Spend", "Baseline", "Ratio", "Score");
                    foreach (var a in found)
                    {
                        table.AddPlainRow(a.Scope, Fmt.Time(a.HourStart, zone), Fmt.Usd(a.CostUsd), Fmt.Usd(a.BaselineUsd), a.Ratio is { } x ? Fmt.Ratio(x) : "new spend",
                            a.Score?.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) ?? "-");
                    }
                    terminal.Console.Write(table);
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

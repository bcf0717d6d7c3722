using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai forecast</c>: month-end spend per budget and tenant, and when each limit will be reached.</summary>
internal static class ForecastCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var config = Args.Config();
        var tz = Args.TimeZone();
        var now = Args.Now();
        var format = Args.Format();
        var command = new Command("forecast", "Projects each budget's and tenant's month-end usage from the month so far and the trend of the last four weeks (weekdays and weekends apart), and when each monthly and daily limit will be reached (limits from --config).")
        {
            config, tz, now, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var zone = Args.ParseTimeZone(parse.GetValue(tz));
            var clock = parse.GetValue(now) is { } n ? Args.ParseTime(n, "--now", zone, out _) : DateTimeOffset.UtcNow;
            var settings = AppSettings.Load(parse.GetValue(config));
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var ledger = globals.OpenLedger(parse);
            var budgets = await SpendForecast.ForecastAsync(ledger.Queries, clock, zone, UsageDimension.Budget, name => settings.Budgets.FirstOrDefault(b => b.Name == name), cancellationToken).ConfigureAwait(false);
            var tenants = await SpendForecast.ForecastAsync(ledger.Queries, clock, zone, UsageDimension.Tenant, settings.TenantPolicy, cancellationToken).ConfigureAwait(false);
            var all = budgets.Select(f => ("budget", f)).Concat(tenants.Select(f => ("tenant", f))).ToList();
            var terminal = globals.Terminal(parse);
            switch (output)
            {
                case OutputFormat.Json:
                    Json.Write(terminal.Out, w =>
                    {
                        w.WriteStartObject();
                        w.Time("at", clock);
                        w.WriteString("timeZone", zone.Id);
                        w.WriteStartArray("forecasts");
                        foreach (var (kind, f) in all)
                        {
                            w.WriteStartObject();
                            w.WriteString("kind", kind);
                            w.WriteString("name", f.Scope);
                            w.Time("monthStart", f.MonthStart);
                            w.Time("monthEnd", f.MonthEnd);
                            w.WriteString("method", f.Method);
                            w.WriteNumber("historyDays", f.HistoryDays);
                            w.WriteNumber("weekendFactor", Math.Round(f.WeekendFactor, 4));
                            Amount(w, "monthToDate", f.MonthToDate);
                            Amount(w, "projectedMonthEnd", f.ProjectedMonthEnd);
                            w.WriteStartArray("limits");
                            foreach (var l in f.Limits)
                            {
                                w.WriteStartObject();
                                w.WriteString("dimension", l.Limit.Dimension.ToString());
                                w.WriteString("window", l.Limit.Window.ToString());
                                w.WriteNumber("limit", l.Limit.Amount);
                                w.WriteNumber("used", l.Used);
                                w.WriteNumber("projected", l.ProjectedAtWindowEnd);
                                w.WriteNumber("projectedPercent", Math.Round(l.ProjectedPercent, 2));
                                w.Time("windowEnd", l.WindowEnd);
                                w.Time("reachedAt", l.ReachedAt);
                                w.WriteBoolean("alreadyReached", l.AlreadyReached);
                                w.WriteEndObject();
                            }
                            w.WriteEndArray();
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    break;
                case OutputFormat.Csv:
                    var csv = new Csv(terminal.Out);
                    csv.Row("kind", "name", "method", "month_to_date_usd", "projected_month_end_usd", "projected_month_end_tokens", "projected_month_end_requests", "limit", "limit_used", "limit_projected", "limit_reached_at");
                    foreach (var (kind, f) in all)
                    {
                        var limits = f.Limits.Count == 0 ? [null] : f.Limits.Cast<LimitProjection?>().ToList();
                        foreach (var l in limits)
                        {
                            terminal.Out.Write(string.Join(',', UsageCsv.Cell(kind), UsageCsv.Cell(f.Scope), f.Method, Fmt.Plain(f.MonthToDate.CostUsd), Fmt.Plain(f.ProjectedMonthEnd.CostUsd),
                                Fmt.Plain(f.ProjectedMonthEnd.TotalTokens), Fmt.Plain(f.ProjectedMonthEnd.Requests), UsageCsv.Cell(l?.Limit.ToString() ?? ""),
                                l is null ? "" : Fmt.Plain(l.Used), l is null ? "" : Fmt.Plain(l.ProjectedAtWindowEnd),
                                l?.ReachedAt is { } at ? Fmt.IsoSeconds(at) : "") + "\r\n");
                        }
                    }
                    break;
                default:
                    var console = terminal.Console;
                    console.WriteLine($"Forecast at {Fmt.Time(clock, zone)} for the month to {Fmt.Time(all.FirstOrDefault().f?.MonthEnd ?? clock, zone)}");
                    var table = Fmt.NewTable(terminal, "Kind", "Name", "Month so far USD", "Projected USD", "Projected tok", "Method", "Limit", "Projected", "Reached");
                    foreach (var (kind, f) in all)
                    {
                        var first = true;
                        foreach (var l in f.Limits.Count == 0 ? [null] : f.Limits.Cast<LimitProjection?>())
                        {
                            table.AddPlainRow(first ? kind : "", first ? f.Scope : "", first ? Fmt.Exact(f.MonthToDate.CostUsd) : "", first ? Fmt.Exact(f.ProjectedMonthEnd.CostUsd) : "",
                                first ? Fmt.N((long)f.ProjectedMonthEnd.TotalTokens) : "", first ? $"{f.Method} ({f.HistoryDays}d)" : "",
                                l?.Limit.ToString() ?? "-", l is null ? "-" : Fmt.Percent(l.ProjectedPercent),
                                l is null ? "-" : l.AlreadyReached ? "already reached" : l.ReachedAt is { } at ? Fmt.Time(at, zone) : "not this window");
                            first = false;
                        }
                    }
                    console.Write(table);
                    if (!settings.HasBudgets) console.WriteLine("Limits are not shown: give --config with the application's settings.");
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Amount(System.Text.Json.Utf8JsonWriter w, string name, UsageAmount a)
    {
        w.WriteStartObject(name);
        w.WriteNumber("requests", a.Requests);
        w.WriteNumber("inputTokens", a.InputTokens);
        w.WriteNumber("outputTokens", a.OutputTokens);
        w.WriteNumber("totalTokens", a.TotalTokens);
        w.WriteNumber("costUsd", a.CostUsd);
        w.WriteEndObject();
    }
}

using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai status</c>: each budget and tenant, a bar per limit with its thresholds, the breaker, the time until
/// each window resets; <c>--watch</c> refreshes it in place.
/// </summary>
internal static class StatusCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var config = Args.Config();
        var tz = Args.TimeZone();
        var now = Args.Now();
        var watch = new Option<bool>("--watch") { Description = "Refresh the view until Ctrl+C (in place on a terminal; one view after another otherwise)." };
        var interval = new Option<int>("--interval") { Description = "Seconds between refreshes with --watch (default 2).", HelpName = "SECONDS", DefaultValueFactory = _ => 2 };
        var format = Args.Format();
        var command = new Command("status", "Each budget and tenant: a bar per limit with its warn, critical and trip thresholds, the breaker state, and the time until each window resets. Limits come from --config; without it, usage of the current hour, day and month.")
        {
            config, tz, now, watch, interval, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var zone = Args.ParseTimeZone(parse.GetValue(tz));
            var fixedNow = parse.GetValue(now) is { } n ? Args.ParseTime(n, "--now", zone, out _) : (DateTimeOffset?)null;
            var settings = AppSettings.Load(parse.GetValue(config));
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var seconds = parse.GetValue(interval);
            if (seconds is < 1 or > 3600) throw CliException.Usage("--interval", $"{seconds} is not between 1 and 3600.");
            var ledger = globals.OpenLedger(parse);
            var terminal = globals.Terminal(parse);

            async Task<Snapshot> ReadAsync()
            {
                var at = fixedNow ?? DateTimeOffset.UtcNow;
                var (scopes, global) = await ScopeStatus.ReadAllAsync(ledger, settings, at, zone, cancellationToken).ConfigureAwait(false);
                return new Snapshot(at, zone, scopes, global, settings.HasBudgets);
            }

            if (!parse.GetValue(watch))
            {
                Write(terminal, output, await ReadAsync().ConfigureAwait(false));
                return ExitCodes.Ok;
            }
            if (terminal.IsInteractive && terminal.UsesColor && output == OutputFormat.Table)
            {
                var first = await ReadAsync().ConfigureAwait(false);
                await terminal.Console.Live(View(terminal, first)).AutoClear(false).StartAsync(async context =>
                {
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        try { await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false); }
                        catch (OperationCanceledException) { break; }
                        context.UpdateTarget(View(terminal, await ReadAsync().ConfigureAwait(false)));
                    }
                }).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            while (!cancellationToken.IsCancellationRequested)
            {
                Write(terminal, output, await ReadAsync().ConfigureAwait(false));
                terminal.Out.Flush();
                try { await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record Snapshot(DateTimeOffset At, TimeZoneInfo Zone, IReadOnlyList<ScopeStatus> Scopes, BreakerSnapshot? Global, bool HasLimits);

    private static void Write(Terminal terminal, OutputFormat format, Snapshot s)
    {
        switch (format)
        {
            case OutputFormat.Json: WriteJson(terminal.Out, s); break;
            case OutputFormat.Csv: WriteCsv(terminal.Out, s); break;
            default: terminal.Console.Write(View(terminal, s)); break;
        }
    }

    private static IRenderable View(Terminal terminal, Snapshot s)
    {
        var rows = new List<IRenderable>
        {
            new Markup(Markup.Escape($"GuardedAI status at {Fmt.Time(s.At, s.Zone)}")),
        };
        if (s.Global is { State: CircuitBreakerState.EmergencyStopped } stop)
            rows.Add(new Markup($"[bold red]{Markup.Escape($"EMERGENCY STOP: every budget is stopped ({stop.Reason}); 'guardedai resume' lifts it.")}[/]"));
        if (s.Scopes.Count == 0)
        {
            rows.Add(new Markup("No budgets: the ledger has no usage this month and no settings were given (--config)."));
            return new Rows(rows);
        }
        if (s.HasLimits)
        {
            var table = Fmt.NewTable(terminal, "Kind", "Name", "Limit", "Used", "Usage (warn | critical | trip)", "%", "Resets in", "Breaker");
            foreach (var scope in s.Scopes)
            {
                var first = true;
                var limits = scope.Policy is null ? [] : scope.Limits;
                if (limits.Count == 0)
                {
                    table.AddRow(Cell(scope.Kind), Cell(scope.Name), Cell("(no limits)"), Cell($"{Fmt.Usd(scope.Month.CostUsd)} this month"), Cell(""), Cell(""), Cell(""), Breaker(scope, s, terminal));
                    continue;
                }
                foreach (var limit in limits)
                {
                    table.AddRow(Cell(first ? scope.Kind : ""), Cell(first ? scope.Name : ""), Cell($"{limit.Limit}"), Cell(limit.Limit.Dimension.Format(limit.Used)),
                        new Markup(LimitBar.Render(limit.Percent, scope.Policy!.Thresholds, terminal.Console.Profile.Capabilities.Unicode, terminal.UsesColor)),
                        Cell(Fmt.Percent(limit.Percent)), Cell(Fmt.Duration(limit.WindowEnd - s.At)), first ? Breaker(scope, s, terminal) : Cell(""));
                    first = false;
                }
            }
            rows.Add(table);
        }
        else
        {
            var table = Fmt.NewTable(terminal, "Kind", "Name", "This hour USD", "Today USD", "This month USD", "Month tok", "Month requests", "Breaker");
            foreach (var scope in s.Scopes)
            {
                table.AddRow(Cell(scope.Kind), Cell(scope.Name), Cell(Fmt.Exact(scope.Hour.CostUsd)), Cell(Fmt.Exact(scope.Day.CostUsd)), Cell(Fmt.Exact(scope.Month.CostUsd)),
                    Cell(Fmt.N((long)scope.Month.TotalTokens)), Cell(Fmt.N((long)scope.Month.Requests)), Breaker(scope, s, terminal));
            }
            rows.Add(table);
            rows.Add(new Markup(Markup.Escape("Limits and thresholds are not shown: give --config with the application's settings (appsettings.json).")));
        }
        return new Rows(rows);
    }

    private static IRenderable Cell(string text) => new Markup(Markup.Escape(text));

    private static IRenderable Breaker(ScopeStatus scope, Snapshot s, Terminal terminal)
    {
        var text = BreakerText(scope, s);
        if (!terminal.UsesColor) return Cell(text);
        var style = text == "closed" ? "green" : "bold red";
        return new Markup($"[{style}]{Markup.Escape(text)}[/]");
    }

    private static string BreakerText(ScopeStatus scope, Snapshot s)
    {
        if (s.Global is { State: CircuitBreakerState.EmergencyStopped }) return "EMERGENCY STOP";
        return scope.Breaker switch
        {
            { State: CircuitBreakerState.EmergencyStopped } b => $"EMERGENCY STOP ({b.Reason})",
            { State: CircuitBreakerState.Open } b when b.OpenUntil > s.At => $"open {Fmt.Duration(b.OpenUntil - s.At)} ({b.Reason})",
            { State: CircuitBreakerState.Open } => "half-open (next call probes)",
            _ => "closed",
        };
    }

    private static void WriteJson(TextWriter output, Snapshot s) => Json.Write(output, w =>
    {
        w.WriteStartObject();
        w.Time("at", s.At);
        w.WriteString("timeZone", s.Zone.Id);
        w.WriteBoolean("emergencyStop", s.Global is { State: CircuitBreakerState.EmergencyStopped });
        w.WriteStartArray("scopes");
        foreach (var scope in s.Scopes)
        {
            w.WriteStartObject();
            w.WriteString("kind", scope.Kind);
            w.WriteString("name", scope.Name);
            w.WriteString("level", scope.Level);
            w.WriteStartObject("breaker");
            w.WriteString("state", (scope.Breaker?.State ?? CircuitBreakerState.Closed).ToString());
            w.WriteString("summary", BreakerText(scope, s));
            w.Time("openUntil", scope.Breaker is { State: CircuitBreakerState.Open } b ? b.OpenUntil : null);
            w.StringOrNull("reason", scope.Breaker?.Reason);
            w.WriteEndObject();
            w.WriteStartArray("limits");
            foreach (var limit in scope.Policy is null ? [] : scope.Limits)
            {
                w.WriteStartObject();
                w.WriteString("dimension", limit.Limit.Dimension.ToString());
                w.WriteString("window", limit.Limit.Window.ToString());
                w.WriteNumber("limit", limit.Limit.Amount);
                w.WriteNumber("used", limit.Used);
                w.WriteNumber("percent", Math.Round(limit.Percent, 2));
                w.WriteNumber("warnAtPercent", scope.Policy!.Thresholds.WarnAtPercent);
                w.WriteNumber("criticalAtPercent", scope.Policy.Thresholds.CriticalAtPercent);
                w.WriteNumber("tripAtPercent", scope.Policy.Thresholds.TripAtPercent);
                w.Time("windowEnd", limit.WindowEnd);
                w.WriteNumber("resetsInSeconds", Math.Max(0, (long)(limit.WindowEnd - s.At).TotalSeconds));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("current");
            foreach (var (name, amount) in new[] { ("hour", scope.Hour), ("day", scope.Day), ("month", scope.Month) })
            {
                w.WriteStartObject(name);
                w.WriteNumber("requests", amount.Requests);
                w.WriteNumber("inputTokens", amount.InputTokens);
                w.WriteNumber("outputTokens", amount.OutputTokens);
                w.WriteNumber("costUsd", amount.CostUsd);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteCsv(TextWriter output, Snapshot s)
    {
        var csv = new Csv(output);
        csv.Row("kind", "name", "dimension", "window", "limit", "used", "percent", "window_end", "breaker", "month_cost_usd");
        foreach (var scope in s.Scopes)
        {
            var limits = scope.Policy is null ? [] : scope.Limits;
            if (limits.Count == 0)
            {
                output.Write(string.Join(',', UsageCsv.Cell(scope.Kind), UsageCsv.Cell(scope.Name), "", "", "", "", "", "", UsageCsv.Cell(BreakerText(scope, s)), Fmt.Plain(scope.Month.CostUsd)) + "\r\n");
            }
            foreach (var limit in limits)
            {
                output.Write(string.Join(',', UsageCsv.Cell(scope.Kind), UsageCsv.Cell(scope.Name), limit.Limit.Dimension, limit.Limit.Window, Fmt.Plain(limit.Limit.Amount), Fmt.Plain(limit.Used),
                    Math.Round(limit.Percent, 2).ToString(System.Globalization.CultureInfo.InvariantCulture), Fmt.IsoSeconds(limit.WindowEnd),
                    UsageCsv.Cell(BreakerText(scope, s)), Fmt.Plain(scope.Month.CostUsd)) + "\r\n");
            }
        }
    }
}

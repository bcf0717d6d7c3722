using System.CommandLine;
using System.Globalization;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai whatif --policy FILE --from DATE --to DATE</c>: replays the ledger's calls of a period against proposed
/// budgets (<see cref="WhatIfReplay"/>) and says who would have been denied or degraded, when, by which limit, the
/// spend that would have been avoided and the first moment each limit would have been hit. Reads the ledger only.
/// </summary>
internal static class WhatIfCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var policy = new Option<string>("--policy")
        {
            Description = "A JSON file with a GuardedAI section (Budgets, ShadowBudgets, Tenants, DefaultTenantBudget, Prices), as in appsettings.json: the proposed budgets, matched to recorded calls by budget name.",
            HelpName = "FILE",
            Required = true,
        };
        var range = new RangeOptions();
        var maxCalls = new Option<int>("--max-calls") { Description = $"How many denied and degraded calls JSON and CSV list at most (default {WhatIfReplay.DefaultMaxListedCalls:#,0}); counts and sums cover all.", HelpName = "N", DefaultValueFactory = _ => WhatIfReplay.DefaultMaxListedCalls };
        var rows = new Option<int>("--rows") { Description = "How many denied and degraded calls the table lists (default 20; JSON and CSV list all).", HelpName = "N", DefaultValueFactory = _ => 20 };
        var format = Args.Format();
        var command = new Command("whatif", "What would these budgets have done to the calls of a period? Replays the ledger through a real engine (calendar windows, time zone, tenants, conversations, thresholds, breakers, degradation) without touching it.")
        {
            policy,
        };
        range.AddTo(command);
        command.Add(rows);
        command.Add(maxCalls);
        command.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var listed = parse.GetValue(rows);
            if (listed < 0) throw CliException.Usage("--rows", $"{listed} is negative.");
            var maxListed = parse.GetValue(maxCalls);
            if (maxListed < 0) throw CliException.Usage("--max-calls", $"{maxListed} is negative.");
            var proposal = LoadProposal(parse.GetValue(policy)!);
            var resolved = range.Resolve(parse);
            var ledger = globals.OpenLedger(parse);
            var records = ledger.Queries.ReadRecordsAsync(resolved.From, resolved.To, cancellationToken: cancellationToken);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var report = await WhatIfReplay.RunAsync(proposal, records, Math.Max(maxListed, listed), cancellationToken).ConfigureAwait(false);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var terminal = globals.Terminal(parse);
            switch (output)
            {
                case OutputFormat.Json: WriteJson(terminal.Out, resolved, report); break;
                case OutputFormat.Csv: WriteCsv(terminal.Out, report); break;
                default: WriteTable(terminal, resolved, report, listed, elapsed); break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static WhatIfProposal LoadProposal(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw CliException.Usage("--policy", $"there is no policy file at '{full}'.");
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
            if (!configuration.GetSection(GuardedAIOptions.SectionName).Exists())
                throw CliException.Usage("--policy", $"'{full}' has no '{GuardedAIOptions.SectionName}' section (write the proposed budgets as in appsettings.json: {{ \"GuardedAI\": {{ \"Budgets\": {{ … }} }} }}).");
            return WhatIfProposal.FromConfiguration(configuration);
        }
        catch (CliException)
        {
            throw;
        }
        catch (GuardedAIConfigurationException ex)
        {
            throw CliException.Usage("--policy", $"'{full}' is not a valid proposal: {ex.Message}");
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw CliException.Usage("--policy", $"'{full}' cannot be read: {ex.Message}");
        }
    }

    private static string Limit(DenialKind kind, BudgetDimension? dimension, BudgetWindow? window) =>
        (dimension, window) switch
        {
            ({ } d, { } w) => $"{w.Describe()} {d.Describe()}" + (kind == DenialKind.BreakerOpen ? " (breaker tripped)" : ""),
            ({ } d, null) => $"per-request {d.Describe()} cap",
            _ => kind == DenialKind.BreakerOpen ? "breaker (provider failures)" : kind.ToString(),
        };

    private static void WriteTable(Terminal terminal, ReportRange range, WhatIfReport report, int listed, TimeSpan elapsed)
    {
        var console = terminal.Console;
        console.WriteLine($"What-if for {range.Label} ({Fmt.Time(range.From, range.Zone)} to {Fmt.Time(range.To, range.Zone)}): {Fmt.N(report.Replayed)} calls replayed in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s, costing {Fmt.Usd(report.ReplayedCostUsd)}.");
        if (report.Skipped > 0) console.WriteLine($"{Fmt.N(report.Skipped)} records skipped (denied at the time, or user turns).");
        if (report.UnknownBudget > 0) console.WriteLine($"{Fmt.N(report.UnknownBudget)} calls of budgets the proposal does not name, not replayed: {string.Join(", ", report.UnknownBudgets)}.");
        console.WriteLine($"Would have denied {Fmt.N(report.DeniedCount)} calls and degraded {Fmt.N(report.DegradedCount)}; spend avoided: {Fmt.Usd(report.SpendAvoidedUsd)}.");
        if (report.Limits.Count > 0)
        {
            var limits = Fmt.NewTable(terminal, "Scope", "Limit", "Denials", "First hit", "Spend avoided");
            foreach (var l in report.Limits) limits.AddPlainRow(l.Scope, Limit(l.Kind, l.Dimension, l.Window), Fmt.N(l.Denials), Fmt.Time(l.FirstHitAt, range.Zone), Fmt.Usd(l.SpendAvoidedUsd));
            console.Write(limits);
        }
        if (report.Who.Count > 0)
        {
            var table = Fmt.NewTable(terminal, "Budget", "Tenant", "Denied", "First denied", "Spend avoided");
            foreach (var w in report.Who) table.AddPlainRow(w.Budget, w.Tenant ?? "-", Fmt.N(w.Denials), Fmt.Time(w.FirstDeniedAt, range.Zone), Fmt.Usd(w.SpendAvoidedUsd));
            console.Write(table);
        }
        if (listed > 0 && report.Denials.Count + report.Degradations.Count > 0)
        {
            var calls = Fmt.NewTable(terminal, "Time", "Call", "Budget", "Tenant", "Outcome", "Why");
            foreach (var (at, id, budget, tenant, outcome, why) in Rows(report).Take(listed)) calls.AddPlainRow(Fmt.Time(at, range.Zone), id, budget, tenant ?? "-", outcome, why);
            console.Write(calls);
            var more = report.DeniedCount + report.DegradedCount - listed;
            if (more > 0) console.WriteLine($"… and {Fmt.N(more)} more (--rows N, or --format csv for all).");
        }
    }

    private static IEnumerable<(DateTimeOffset At, string Id, string Budget, string? Tenant, string Outcome, string Why)> Rows(WhatIfReport report) =>
        report.Denials.Select(d => (d.Timestamp, d.RecordId, d.Budget, d.Tenant, "denied", d.Reason))
            .Concat(report.Degradations.Select(d => (d.Timestamp, d.RecordId, d.Budget, d.Tenant, d.Action == WhatIfDegradationAction.Throttled ? "throttled" : "downgraded",
                d.Action == WhatIfDegradationAction.Throttled ? $"would have waited {Fmt.Duration(d.Delay ?? TimeSpan.Zero)}" : $"{d.Model} → {d.DowngradedTo}: {Fmt.Usd(d.CostUsd)} → {Fmt.Usd(d.DegradedCostUsd)}")))
            .OrderBy(r => r.Item1);

    private static void WriteJson(TextWriter output, ReportRange range, WhatIfReport report) => Json.Write(output, w =>
    {
        w.WriteStartObject();
        w.Time("from", range.From);
        w.Time("to", range.To);
        w.WriteNumber("replayed", report.Replayed);
        w.WriteNumber("skipped", report.Skipped);
        w.WriteNumber("unknownBudget", report.UnknownBudget);
        w.WriteStartArray("unknownBudgets");
        foreach (var name in report.UnknownBudgets) w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteNumber("replayedCostUsd", report.ReplayedCostUsd);
        w.WriteNumber("denied", report.DeniedCount);
        w.WriteNumber("degraded", report.DegradedCount);
        w.WriteNumber("listed", report.Denials.Count + report.Degradations.Count);
        w.WriteNumber("spendAvoidedUsd", report.SpendAvoidedUsd);
        w.WriteStartArray("limits");
        foreach (var l in report.Limits)
        {
            w.WriteStartObject();
            w.WriteString("scope", l.Scope);
            w.WriteString("kind", l.Kind.ToString());
            w.StringOrNull("dimension", l.Dimension?.ToString());
            w.StringOrNull("window", l.Window?.ToString());
            w.WriteNumber("denials", l.Denials);
            w.Time("firstHitAt", l.FirstHitAt);
            w.WriteNumber("spendAvoidedUsd", l.SpendAvoidedUsd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("who");
        foreach (var who in report.Who)
        {
            w.WriteStartObject();
            w.WriteString("budget", who.Budget);
            w.StringOrNull("tenant", who.Tenant);
            w.WriteNumber("denials", who.Denials);
            w.Time("firstDeniedAt", who.FirstDeniedAt);
            w.WriteNumber("spendAvoidedUsd", who.SpendAvoidedUsd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("denials");
        foreach (var d in report.Denials)
        {
            w.WriteStartObject();
            w.WriteString("recordId", d.RecordId);
            w.Time("at", d.Timestamp);
            w.WriteString("budget", d.Budget);
            w.StringOrNull("tenant", d.Tenant);
            w.StringOrNull("conversation", d.ConversationId);
            w.WriteString("scope", d.Scope);
            w.WriteString("kind", d.Kind.ToString());
            w.StringOrNull("dimension", d.Dimension?.ToString());
            w.StringOrNull("window", d.Window?.ToString());
            w.WriteNumber("costUsd", d.CostUsd);
            w.WriteString("reason", d.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("degradations");
        foreach (var d in report.Degradations)
        {
            w.WriteStartObject();
            w.WriteString("recordId", d.RecordId);
            w.Time("at", d.Timestamp);
            w.WriteString("budget", d.Budget);
            w.StringOrNull("tenant", d.Tenant);
            w.WriteString("action", d.Action.ToString());
            w.StringOrNull("model", d.Model);
            w.StringOrNull("downgradedTo", d.DowngradedTo);
            w.NumberOrNull("delaySeconds", d.Delay?.TotalSeconds);
            w.WriteNumber("costUsd", d.CostUsd);
            w.WriteNumber("degradedCostUsd", d.DegradedCostUsd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteCsv(TextWriter output, WhatIfReport report)
    {
        var csv = new Csv(output);
        csv.Row("record_id", "time", "budget", "tenant", "conversation", "outcome", "scope", "kind", "dimension", "window", "cost_usd", "avoided_usd", "reason");
        foreach (var d in report.Denials)
        {
            csv.Row(d.RecordId, Fmt.Iso(d.Timestamp), d.Budget, d.Tenant ?? "", d.ConversationId ?? "", "denied", d.Scope, d.Kind.ToString(), d.Dimension?.ToString() ?? "",
                d.Window?.ToString() ?? "", Fmt.Plain(d.CostUsd), Fmt.Plain(d.CostUsd), d.Reason);
        }
        foreach (var d in report.Degradations)
        {
            var outcome = d.Action == WhatIfDegradationAction.Throttled ? "throttled" : "downgraded";
            var why = d.Action == WhatIfDegradationAction.Throttled ? $"would have waited {d.Delay?.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s" : $"{d.Model} -> {d.DowngradedTo}";
            csv.Row(d.RecordId, Fmt.Iso(d.Timestamp), d.Budget, d.Tenant ?? "", "", outcome, d.Budget, "", "", "", Fmt.Plain(d.CostUsd), Fmt.Plain(d.CostUsd - d.DegradedCostUsd), why);
        }
    }
}

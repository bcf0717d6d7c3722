using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai reset</c>: clears a budget's counters of the current hour, day or month (reference 001's reset tool).
/// The records stay — a reset changes what the budget still allows, not what was spent or billed. Engines honour the
/// reset when they next restore their counters (at start); a running in-process engine keeps its counters until then.
/// </summary>
internal static class ResetCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var budget = new Option<string?>("--budget") { Description = "The budget whose counters to reset.", HelpName = "NAME" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant whose counters to reset (instead of --budget).", HelpName = "ID" };
        var window = Args.Choice("--window", "Which window's counters: the current hour, day or month.", "day", ["hour", "day", "month"]);
        window.Required = true;
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation." };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit trail.", HelpName = "TEXT" };
        var actor = new Option<string?>("--actor") { Description = "Who is acting, for the audit trail (default: the operating-system user).", HelpName = "NAME" };
        var config = Args.Config();
        var tz = Args.TimeZone();
        var command = new Command("reset", "Resets a budget's counters for the current hour, day or month, after confirmation (or --yes). The usage records stay; the audit trail records who reset what.")
        {
            budget, tenant, window, yes, reason, actor, config, tz,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var scope = OperatorActions.Scope(parse.GetValue(budget), parse.GetValue(tenant));
            var which = Args.ParseWindow(parse.GetValue(window)!);
            var settings = AppSettings.Load(parse.GetValue(config));
            // The window is the budget's own: its time zone from the settings, else --tz, else UTC.
            var policy = parse.GetValue(budget) is { } name ? settings.Budgets.FirstOrDefault(b => b.Name == name) : settings.TenantPolicy(parse.GetValue(tenant)!);
            var zone = parse.GetValue(tz) is { } id ? Args.ParseTimeZone(id) : policy?.TimeZone ?? TimeZoneInfo.Utc;
            var ledger = globals.OpenLedger(parse);
            var terminal = globals.Terminal(parse);
            var now = DateTimeOffset.UtcNow;
            var bucket = which switch { BudgetWindow.Hour => UsageBucket.Hour, BudgetWindow.Day => UsageBucket.Day, _ => UsageBucket.Month };
            var (start, end) = UsageCalendar.PeriodAround(bucket, now, zone);
            var filter = parse.GetValue(tenant) is { } t ? new UsageFilter { Tenant = t } : new UsageFilter { Budget = scope };
            var clearing = await ledger.Queries.BuildAsync(new UsageAggregateQuery { From = start, To = now > start ? now : start.AddTicks(1), Filter = filter }, cancellationToken).ConfigureAwait(false);
            var description = $"the {which.ToString().ToLowerInvariant()} counters of '{scope}' ({Fmt.Time(start, zone)} to {Fmt.Time(end, zone)}: {Fmt.N(clearing.Total.Requests - clearing.Total.Denied)} requests, "
                + $"{Fmt.N(clearing.Total.TotalTokens)} tokens, {Fmt.Usd(clearing.Total.CostUsd)} so far)";

            if (!parse.GetValue(yes) && !Confirm(terminal, $"Reset {description}? The records stay in the ledger."))
            {
                Console.Error.WriteLine("error: not confirmed; nothing was reset (answer 'yes', or pass --yes).");
                return ExitCodes.NotConfirmed;
            }
            var who = OperatorActions.Actor(parse.GetValue(actor));
            var why = parse.GetValue(reason);
            await ledger.Operations.SaveAsync(new CounterReset(scope, which, start, now, why), cancellationToken).ConfigureAwait(false);
            await OperatorActions.AuditAsync(ledger, who, "counters.reset", scope,
                $"{which.ToString().ToLowerInvariant()} window from {start.UtcDateTime:O}" + (why is null ? "" : $": {why}"), cancellationToken).ConfigureAwait(false);
            terminal.Console.WriteLine($"Reset {description}. Engines honour it when they next restore their counters (at start).");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Asks on the terminal; when input is not a terminal, reads one line and accepts only y or yes.</summary>
    private static bool Confirm(Terminal terminal, string question)
    {
        if (!Console.IsInputRedirected && terminal.IsInteractive)
        {
            return Spectre.Console.AnsiConsoleExtensions.Confirm(terminal.Console, question, defaultValue: false);
        }
        Console.Error.Write(question + " [y/N] ");
        var answer = Console.In.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}

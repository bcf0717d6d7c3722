using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>
/// <c>guardedai breaker trip|reset</c>: opens or closes a budget's (or tenant's) circuit breaker in the ledger's breaker
/// state, which running engines re-read every few seconds and restarted ones load, and writes an audit record.
/// </summary>
internal static class BreakerCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var command = new Command("breaker", "Opens or closes a budget's circuit breaker by hand (reference 001's emergency controls).");
        command.Add(BuildTrip(globals));
        command.Add(BuildReset(globals));
        return command;
    }

    private static Command BuildTrip(GlobalOptions globals)
    {
        var budget = new Option<string?>("--budget") { Description = "The budget whose breaker to open.", HelpName = "NAME" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant whose breaker to open (instead of --budget).", HelpName = "ID" };
        var reason = new Option<string>("--reason") { Description = "Why, in words: shown in every denial and in the audit trail.", HelpName = "TEXT", Required = true };
        var minutes = new Option<int>("--minutes") { Description = "How long the breaker stays open before one probe call may pass (default 60).", HelpName = "N", DefaultValueFactory = _ => 60 };
        var actor = new Option<string?>("--actor") { Description = "Who is acting, for the audit trail (default: the operating-system user).", HelpName = "NAME" };
        var command = new Command("trip", "Opens the breaker: every call of the budget is denied until it times out or is reset.") { budget, tenant, reason, minutes, actor };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var scope = OperatorActions.Scope(parse.GetValue(budget), parse.GetValue(tenant));
            var why = parse.GetValue(reason)!;
            if (string.IsNullOrWhiteSpace(why)) throw CliException.Usage("--reason", "must say why.");
            var duration = parse.GetValue(minutes);
            if (duration is < 1 or > 525_600) throw CliException.Usage("--minutes", $"{duration} is not between 1 and 525600 (a year).");
            var ledger = globals.OpenLedger(parse);
            var now = DateTimeOffset.UtcNow;
            var who = OperatorActions.Actor(parse.GetValue(actor));
            var until = now.AddMinutes(duration);
            await ledger.Breakers.SaveAsync(new BreakerSnapshot(scope, CircuitBreakerState.Open, until, $"{why} (tripped by {who})", now), cancellationToken).ConfigureAwait(false);
            await OperatorActions.AuditAsync(ledger, who, "breaker.trip", scope, $"{why}; open until {until.UtcDateTime:O}", cancellationToken).ConfigureAwait(false);
            globals.Terminal(parse).Console.WriteLine($"Breaker of '{scope}' is open until {Fmt.Time(until, TimeZoneInfo.Utc)}: {why}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildReset(GlobalOptions globals)
    {
        var budget = new Option<string?>("--budget") { Description = "The budget whose breaker to close.", HelpName = "NAME" };
        var tenant = new Option<string?>("--tenant") { Description = "A tenant whose breaker to close (instead of --budget).", HelpName = "ID" };
        var actor = new Option<string?>("--actor") { Description = "Who is acting, for the audit trail (default: the operating-system user).", HelpName = "NAME" };
        var command = new Command("reset", "Closes the breaker: calls of the budget flow again (its limits still apply).") { budget, tenant, actor };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var scope = OperatorActions.Scope(parse.GetValue(budget), parse.GetValue(tenant));
            var ledger = globals.OpenLedger(parse);
            var now = DateTimeOffset.UtcNow;
            var who = OperatorActions.Actor(parse.GetValue(actor));
            var before = (await ledger.Breakers.LoadAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(b => b.Scope == scope);
            await ledger.Breakers.SaveAsync(new BreakerSnapshot(scope, CircuitBreakerState.Closed, DateTimeOffset.MinValue, null, now), cancellationToken).ConfigureAwait(false);
            await OperatorActions.AuditAsync(ledger, who, "breaker.reset", scope, $"was {before?.State.ToString() ?? "closed"}", cancellationToken).ConfigureAwait(false);
            globals.Terminal(parse).Console.WriteLine($"Breaker of '{scope}' is closed (it was {(before?.State ?? CircuitBreakerState.Closed).ToString().ToLowerInvariant()}).");
            return ExitCodes.Ok;
        });
        return command;
    }
}

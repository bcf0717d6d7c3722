using System.CommandLine;
using GuardedAI.Cli.Infrastructure;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai emergency-stop</c> and <c>resume</c>: stop every budget at once, and lift it (reference 001's emergency shutdown).</summary>
internal static class EmergencyCommands
{
    public static Command BuildStop(GlobalOptions globals)
    {
        var reason = new Option<string>("--reason") { Description = "Why, in words: shown in every denial and in the audit trail.", HelpName = "TEXT", Required = true };
        var actor = new Option<string?>("--actor") { Description = "Who is acting, for the audit trail (default: the operating-system user).", HelpName = "NAME" };
        var command = new Command("emergency-stop", "Denies every call of every budget until 'guardedai resume'. Running engines pick it up within seconds.") { reason, actor };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var why = parse.GetValue(reason)!;
            if (string.IsNullOrWhiteSpace(why)) throw CliException.Usage("--reason", "must say why.");
            var ledger = globals.OpenLedger(parse);
            var who = OperatorActions.Actor(parse.GetValue(actor));
            var now = DateTimeOffset.UtcNow;
            await ledger.Breakers.SaveAsync(new BreakerSnapshot(BreakerSnapshot.GlobalScope, CircuitBreakerState.EmergencyStopped, DateTimeOffset.MaxValue, $"{why} (stopped by {who})", now), cancellationToken).ConfigureAwait(false);
            await OperatorActions.AuditAsync(ledger, who, "emergency.stop", BreakerSnapshot.GlobalScope, why, cancellationToken).ConfigureAwait(false);
            globals.Terminal(parse).Console.WriteLine($"Emergency stop: every budget is stopped until 'guardedai resume'. Reason: {why}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildResume(GlobalOptions globals)
    {
        var actor = new Option<string?>("--actor") { Description = "Who is acting, for the audit trail (default: the operating-system user).", HelpName = "NAME" };
        var command = new Command("resume", "Lifts an emergency stop: the global stop and every budget it stopped are closed again.") { actor };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ledger = globals.OpenLedger(parse);
            var who = OperatorActions.Actor(parse.GetValue(actor));
            var now = DateTimeOffset.UtcNow;
            var stopped = (await ledger.Breakers.LoadAsync(cancellationToken).ConfigureAwait(false)).Where(b => b.State == CircuitBreakerState.EmergencyStopped).ToList();
            // An engine that saw the stop stored each of its breakers as emergency-stopped too: close them all.
            foreach (var snapshot in stopped)
            {
                await ledger.Breakers.SaveAsync(new BreakerSnapshot(snapshot.Scope, CircuitBreakerState.Closed, DateTimeOffset.MinValue, null, now), cancellationToken).ConfigureAwait(false);
            }
            await OperatorActions.AuditAsync(ledger, who, "emergency.resume", BreakerSnapshot.GlobalScope, $"{stopped.Count} stopped scope(s) closed", cancellationToken).ConfigureAwait(false);
            globals.Terminal(parse).Console.WriteLine(stopped.Count == 0
                ? "No emergency stop was on; nothing changed."
                : $"Resumed: {stopped.Count} stopped scope(s) closed ({string.Join(", ", stopped.Select(s => s.Scope == BreakerSnapshot.GlobalScope ? "all budgets" : s.Scope))}).");
            return ExitCodes.Ok;
        });
        return command;
    }
}

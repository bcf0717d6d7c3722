using GuardedAI.Cli.Infrastructure;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>Shared steps of the commands that change budgets: who acts, and the audit record.</summary>
internal static class OperatorActions
{
    /// <summary>The operator: <c>--actor</c> when given, else the operating-system user.</summary>
    public static string Actor(string? given) => string.IsNullOrWhiteSpace(given) ? Environment.UserName : given.Trim();

    public static async Task AuditAsync(LedgerAccess ledger, string actor, string action, string? scope, string detail, CancellationToken cancellationToken) =>
        await ledger.Operations.AppendAsync(new OperatorAction(DateTimeOffset.UtcNow, actor, action, scope, detail), cancellationToken).ConfigureAwait(false);

    /// <summary>The scope <c>--budget NAME</c> or <c>--tenant ID</c> names (exactly one of them).</summary>
    public static string Scope(string? budget, string? tenant)
    {
        if (budget is not null && tenant is not null) throw CliException.Usage("--tenant", "give either --budget or --tenant, not both.");
        if (budget is null && tenant is null) throw CliException.Usage("--budget", "is required (or --tenant ID for a tenant's breaker).");
        if (budget is not null)
        {
            if (string.IsNullOrWhiteSpace(budget) || budget == BreakerSnapshot.GlobalScope) throw CliException.Usage("--budget", $"'{budget}' is not a budget name.");
            return budget;
        }
        if (string.IsNullOrWhiteSpace(tenant)) throw CliException.Usage("--tenant", "must name a tenant.");
        return BudgetEngine.TenantScope(tenant!);
    }
}

namespace GuardedAI;

/// <summary>
/// A step of building the engine that a store package contributes (the SQLite ledger opens its file, Redis connects and
/// checks that scripts run). Runs once, asynchronously, when the host starts — never as sync-over-async work inside a
/// service resolution. Setups run in registration order, after the <c>GuardedAI</c> section was applied.
/// </summary>
public interface IGuardedAIEngineSetup
{
    /// <summary>The section under <c>GuardedAI</c> this package reads (e.g. <c>Sqlite</c>), so start-up validation knows
    /// the key is in use; null when it reads none.</summary>
    string? ConfigurationSection => null;

    /// <summary>Sets what this package provides (counter store, ledger, breaker state store…) on <paramref name="options"/>;
    /// adds whatever it opened to <see cref="BudgetEngineOptions.OwnedResources"/> so the engine closes it.</summary>
    ValueTask ConfigureAsync(BudgetEngineOptions options, IServiceProvider services, CancellationToken cancellationToken);
}

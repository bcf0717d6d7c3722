namespace GuardedAI.AspNetCore;

/// <summary>How well the engine can enforce its budgets right now: the one judgement the health check and <c>/status</c> share.</summary>
internal static class EngineHealth
{
    public static EngineHealthReport Assess(BudgetEngine engine, RecentAlerts alerts)
    {
        var ledger = engine.Ledger is CompositeUsageLedger composite ? composite.Primary : engine.Ledger;
        if (ledger is ILedgerAvailability { IsAvailable: false } unavailable)
        {
            return new(HealthState.Unhealthy, $"The usage ledger is not writing records: {unavailable.UnavailableReason}");
        }
        if (alerts.StoreDown is { } down)
        {
            return new(HealthState.Unhealthy, $"The counter store is unreachable since {down.Timestamp:O}: {down.Message}");
        }
        if (engine.Breakers.GlobalStopReason is { } stop)
        {
            return new(HealthState.Degraded, $"Every budget is stopped by an emergency stop: {stop}");
        }
        var open = engine.Breakers.All.Where(b => b.State != CircuitBreakerState.Closed).Select(b => b.Scope).Order(StringComparer.Ordinal).ToArray();
        if (open.Length > 0)
        {
            return new(HealthState.Degraded, $"{open.Length} circuit breaker(s) are not closed: {string.Join(", ", open.Take(10))}.");
        }
        return new(HealthState.Healthy, "Budgets are enforced; the ledger is writing.");
    }
}

internal enum HealthState
{
    Healthy,
    Degraded,
    Unhealthy,
}

internal sealed record EngineHealthReport(HealthState State, string Description);

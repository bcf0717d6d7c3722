using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuardedAI.AspNetCore;

/// <summary>
/// The GuardedAI health check (tag <c>guardedai</c>): unhealthy when the ledger cannot write or the counter store is
/// unreachable (budgets cannot be enforced as configured), degraded while an emergency stop or an open breaker denies
/// calls, healthy otherwise.
/// </summary>
internal sealed class GuardedAIHealthCheck(BudgetEngine engine, RecentAlerts alerts) : IHealthCheck
{
    public const string Name = "guardedai";
    public const string Tag = "guardedai";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = EngineHealth.Assess(engine, alerts);
        return Task.FromResult(report.State switch
        {
            HealthState.Healthy => HealthCheckResult.Healthy(report.Description),
            HealthState.Degraded => HealthCheckResult.Degraded(report.Description),
            _ => new HealthCheckResult(context.Registration.FailureStatus, report.Description),
        });
    }
}

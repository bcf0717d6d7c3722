using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GuardedAI.AspNetCore;

/// <summary>Adds GuardedAI's ASP.NET Core integration to <c>services.AddGuardedAI(...)</c>.</summary>
public static class GuardedAIAspNetCoreBuilderExtensions
{
    /// <summary>
    /// Registers what the web integration needs: the exception handler that turns a <see cref="BudgetExceededException"/>
    /// into a 429/503 problem response (call <c>app.UseExceptionHandler()</c>), problem details, the <c>guardedai</c>
    /// health check, the <c>dashboard</c> alert sink that keeps recent alerts, and the change signal behind the
    /// dashboard's live updates. Then map the endpoints with <c>app.MapGuardedAI("/guardedai")</c>.
    /// </summary>
    public static IGuardedAIBuilder AddAspNetCore(this IGuardedAIBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(RecentAlerts))) return builder;
        services.AddProblemDetails();
        services.AddExceptionHandler<BudgetExceededExceptionHandler>();
        services.TryAddSingleton(provider => new UsageChangeSignal(provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<RecentAlerts>();
        services.TryAddSingleton<LedgerQueries>();
        services.AddSingleton<IGuardedAIEngineSetup, DashboardAlertSinkSetup>();
        services.AddHealthChecks().AddCheck<GuardedAIHealthCheck>(GuardedAIHealthCheck.Name, tags: [GuardedAIHealthCheck.Tag]);
        return builder;
    }

    private sealed class DashboardAlertSinkSetup(RecentAlerts alerts) : IGuardedAIEngineSetup
    {
        public ValueTask ConfigureAsync(BudgetEngineOptions options, IServiceProvider services, CancellationToken cancellationToken)
        {
            options.AlertSinks.Add(alerts);
            return ValueTask.CompletedTask;
        }
    }
}

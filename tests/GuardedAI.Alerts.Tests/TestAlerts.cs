using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Alerts.Tests;

/// <summary>Alerts as the engine makes them, and HTTP clients built by the real AddAlertChannels registration.</summary>
internal static class TestAlerts
{
    public static readonly DateTimeOffset Now = new(2026, 3, 15, 14, 30, 0, TimeSpan.Zero);

    public static BudgetAlert Critical(string scope = "support-bot") =>
        new(AlertLevel.Critical, scope, BudgetDimension.CostUsd, BudgetWindow.Day, 4.6m, 5m, 92,
            $"Budget '{scope}': daily cost at 92% ($4.60 of $5.00), past the critical threshold of 90%. The window resets at 2026-03-16 00:00:00Z.", Now)
        {
            ThresholdPercent = 90,
            WindowEnd = new DateTimeOffset(2026, 3, 16, 0, 0, 0, TimeSpan.Zero),
            ProjectedExhaustion = new DateTimeOffset(2026, 3, 15, 15, 45, 0, TimeSpan.Zero),
            Advice = "Raise the limit or find the caller.",
        };

    public static BudgetAlert Digest(int count)
    {
        var items = Enumerable.Range(1, count).Select(i => new BudgetAlert(AlertLevel.Warning, $"bot-{i}", BudgetDimension.Requests, BudgetWindow.Hour, 70, 100, 70,
            $"Budget 'bot-{i}': hourly requests at 70% (70 of 100).", Now) { ThresholdPercent = 70 }).ToArray();
        return AlertSinkWorker.Digest(items, Now);
    }

    /// <summary>A service provider with the alert channels registered as an application would, and its HTTP client.</summary>
    public static (ServiceProvider Services, HttpClient Client) Http(Action<AlertChannelsOptions>? configure = null, ILoggerProvider? logging = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(builder => { builder.SetMinimumLevel(LogLevel.Trace); if (logging is not null) builder.AddProvider(logging); });
        services.AddGuardedAI().AddAlertChannels(options =>
        {
            options.AllowedNetworks.Add("127.0.0.1/32");
            options.Http.RetryBaseDelayMs = 20;
            // A test's first request through the HTTP pipeline compiles much of it just in time; beside other test
            // projects on two cores that once took past a 2 s attempt timeout, and the retry delivered the alert twice.
            // Tests of timeouts set their own (RetryTests).
            options.Http.AttemptTimeoutSeconds = 10;
            options.Http.TotalTimeoutSeconds = 40;
            configure?.Invoke(options);
        });
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(AlertChannelsBuilderExtensions.HttpClientName));
    }
}

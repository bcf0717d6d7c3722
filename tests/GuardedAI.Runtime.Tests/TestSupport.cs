using Microsoft.Extensions.Logging;

namespace GuardedAI.Tests;

/// <summary>Builds engines on a fake clock with a recording alert sink.</summary>
internal static class TestEngine
{
    public static readonly DateTimeOffset Start = new(2026, 3, 15, 12, 0, 0, TimeSpan.Zero);

    public static (BudgetEngine Engine, FakeTimeProvider Clock, RecordingAlertSink Alerts) Create(Action<BudgetEngineOptions>? configure = null, DateTimeOffset? start = null)
    {
        var clock = new FakeTimeProvider(start ?? Start);
        var alerts = new RecordingAlertSink();
        var options = new BudgetEngineOptions { TimeProvider = clock, LogAlerts = false };
        options.AlertSinks.Add(alerts);
        configure?.Invoke(options);
        return (new BudgetEngine(options), clock, alerts);
    }

    public static UsageEstimate Estimate(long input, long output, decimal cost = 0m, string? model = "gpt-4o-mini") => new(model, input, output, cost);
}

internal sealed class RecordingAlertSink : IBudgetAlertSink
{
    private readonly List<BudgetAlert> _alerts = new();

    public IReadOnlyList<BudgetAlert> Alerts { get { lock (_alerts) return _alerts.ToArray(); } }

    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        lock (_alerts) _alerts.Add(alert);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An ILogger that keeps what was logged.</summary>
internal sealed class RecordingLogger : ILogger, ILoggerProvider, ILoggerFactory
{
    private readonly List<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries { get { lock (_entries) return _entries.ToArray(); } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
    }
    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }
}

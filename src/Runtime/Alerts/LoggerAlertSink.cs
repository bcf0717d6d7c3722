using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Writes alerts to an <see cref="ILogger"/>: informational ones as Information, warnings as Warning, critical
/// ones as Error (Critical for emergencies and an open breaker). Its route name is <c>log</c>.</summary>
public sealed partial class LoggerAlertSink : IBudgetAlertSink
{
    private readonly ILogger _logger;

    /// <summary>Creates the sink.</summary>
    public LoggerAlertSink(ILogger logger) => _logger = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <inheritdoc/>
    public string Name => "log";

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        var level = alert.Level switch
        {
            AlertLevel.Emergency or AlertLevel.BreakerOpened => LogLevel.Critical,
            _ => alert.Severity switch
            {
                AlertSeverity.Info => LogLevel.Information,
                AlertSeverity.Warning => LogLevel.Warning,
                _ => LogLevel.Error,
            },
        };
        Log(_logger, level, alert.Level, alert.Scope, alert.Message);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 4100, Message = "GuardedAI {AlertLevel} [{Scope}]: {AlertMessage}")]
    private static partial void Log(ILogger logger, LogLevel level, AlertLevel alertLevel, string scope, string alertMessage);
}

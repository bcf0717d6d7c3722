using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Writes alerts to an <see cref="ILogger"/>: warnings as Warning, critical and worse as Error/Critical.</summary>
public sealed partial class LoggerAlertSink : IBudgetAlertSink
{
    private readonly ILogger _logger;

    /// <summary>Creates the sink.</summary>
    public LoggerAlertSink(ILogger logger) => _logger = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        var level = alert.Level switch
        {
            AlertLevel.Warning or AlertLevel.UnknownModelPrice or AlertLevel.BreakerClosed or AlertLevel.StoreRecovered => LogLevel.Warning,
            AlertLevel.Critical or AlertLevel.StoreUnavailable or AlertLevel.UsageAnomaly => LogLevel.Error,
            _ => LogLevel.Critical,
        };
        Log(_logger, level, alert.Level, alert.Scope, alert.Message);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 4100, Message = "GuardedAI {AlertLevel} [{Scope}]: {AlertMessage}")]
    private static partial void Log(ILogger logger, LogLevel level, AlertLevel alertLevel, string scope, string alertMessage);
}

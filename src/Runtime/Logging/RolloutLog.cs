using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Log messages of the roll-out features: configuration reloads of budgets (event ids 1800–1899, docs/logging.md).</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "GuardedAI configuration reloaded: {Budgets} budget(s) and {Tenants} tenant budget(s) applied ({Shadow} in shadow).")]
    public static partial void Reloaded(ILogger logger, int budgets, int tenants, int shadow);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Error, Message = "GuardedAI configuration reload rejected; the budgets in force are kept: {Problems}")]
    public static partial void ReloadRejected(ILogger logger, string problems);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Error, Message = "GuardedAI configuration reload failed; the budgets in force are kept.")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Information, Message = "GuardedAI's budgets changed ({Reason}); recorded in the audit trail as config.changed: {Summary}")]
    public static partial void ConfigurationRecorded(ILogger logger, string reason, string summary);

    [LoggerMessage(EventId = 1805, Level = LogLevel.Error, Message = "GuardedAI could not record a change of its budgets ({Reason}) in the audit trail; the budgets apply all the same.")]
    public static partial void ConfigurationRecordFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Debug, Message = "GuardedAI's {Count} budget(s) are as the audit trail last recorded them ({Reason}); nothing recorded.")]
    public static partial void ConfigurationUnchanged(ILogger logger, string reason, int count);
}

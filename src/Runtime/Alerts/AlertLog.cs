using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Log messages of alert delivery beyond <see cref="EngineLog"/>'s (ids 1404–1419; see <c>docs/logging.md</c>).</summary>
/// <remarks>A failed delivery is one line with the reason, never the exception's stack trace: a dead webhook would
/// otherwise write a screenful for every alert.</remarks>
internal static partial class AlertLog
{
    [LoggerMessage(1404, LogLevel.Error, "GuardedAI alert sink {Sink} did not deliver a {Level} alert for {Scope} within {Timeout}; the send was cancelled.")]
    public static partial void SinkTimedOut(ILogger logger, string sink, AlertLevel level, string scope, TimeSpan timeout);

    [LoggerMessage(1405, LogLevel.Error, "GuardedAI alert sink {Sink} is failing: it did not deliver a {Level} alert for {Scope}: {Reason}. An AlertSinkFailing alert goes to the other sinks; further failures are logged until it delivers again.")]
    public static partial void SinkFailing(ILogger logger, string sink, AlertLevel level, string scope, string reason);

    [LoggerMessage(1406, LogLevel.Information, "GuardedAI alert sink {Sink} delivers again, after {Failed} failed alert(s) since {Since:u}.")]
    public static partial void SinkRecovered(ILogger logger, string sink, long failed, DateTimeOffset since);
}

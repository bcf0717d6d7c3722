using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Log messages of alert delivery beyond <see cref="EngineLog"/>'s (ids 1404–1419; see <c>docs/logging.md</c>).</summary>
internal static partial class AlertLog
{
    [LoggerMessage(1404, LogLevel.Error, "GuardedAI alert sink {Sink} did not deliver a {Level} alert for {Scope} within {Timeout}; the send was cancelled.")]
    public static partial void SinkTimedOut(ILogger logger, string sink, AlertLevel level, string scope, TimeSpan timeout);
}

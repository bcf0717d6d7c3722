using Microsoft.Extensions.Logging;

namespace GuardedAI.Redis;

/// <summary>The Redis store's log messages; event ids 1500–1599 (see <c>docs/logging.md</c>).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1501, LogLevel.Warning, "GuardedAI could not reach Redis at {Endpoint} at start ({Message}); the engine's store failure mode applies until it answers.")]
    public static partial void UnreachableAtStart(ILogger logger, string endpoint, string message);
}

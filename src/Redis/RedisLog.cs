using Microsoft.Extensions.Logging;

namespace GuardedAI.Redis;

/// <summary>The Redis store's log messages; event ids 1500–1599 (see <c>docs/logging.md</c>).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1501, LogLevel.Warning, "GuardedAI could not reach Redis at {Endpoint} at start ({Message}); the engine's store failure mode applies until it answers.")]
    public static partial void UnreachableAtStart(ILogger logger, string endpoint, string message);

    [LoggerMessage(1502, LogLevel.Warning, "This instance's clock is {SkewMs} ms off the Redis server's at {Endpoint} (more than {WarningMs} ms); windows and leases follow the server's clock, but this host's time is wrong.")]
    public static partial void ClockSkewed(ILogger logger, string endpoint, long skewMs, long warningMs);

    [LoggerMessage(1503, LogLevel.Information, "This instance's clock is within {SkewMs} ms of the Redis server's at {Endpoint} again.")]
    public static partial void ClockSkewBack(ILogger logger, string endpoint, long skewMs);
}

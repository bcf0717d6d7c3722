using Microsoft.Extensions.Logging;

namespace GuardedAI.AspNetCore;

/// <summary>The web integration's log messages; ids 1700–1799 (docs/logging.md).</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Breaker action {Action} on {Scope} by {User} from {Address}: {Reason}")]
    public static partial void BreakerAction(ILogger logger, string action, string scope, string user, string address, string reason);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "GuardedAI endpoint {Path} refused a caller that is not local: address {Address}, host '{Host}'")]
    public static partial void RemoteCallerRefused(ILogger logger, string path, string address, string host);
}

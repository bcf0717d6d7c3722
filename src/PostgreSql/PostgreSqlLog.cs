using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql;

/// <summary>The PostgreSQL ledger's log messages (event ids 1900–1999, docs/logging.md). None carries a password: the
/// database is named by host, port, database and schema only.</summary>
internal static partial class PostgreSqlLog
{
    [LoggerMessage(EventId = 1901, Level = LogLevel.Error, Message = "GuardedAI cannot write usage records to {Location} ({Reason}); they go to the local spill {SpillPath} until it is back.")]
    public static partial void SpillStarted(ILogger logger, string location, string reason, string spillPath);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Warning, Message = "GuardedAI replayed {Replayed} usage record(s) from the local spill into {Location} ({AlreadyThere} were already there); the spill is empty.")]
    public static partial void SpillDrained(ILogger logger, int replayed, int alreadyThere, string location);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Error, Message = "GuardedAI's usage ledger {Location} is unavailable: {Reason}. Records wait in memory until they can be written.")]
    public static partial void Unavailable(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 1904, Level = LogLevel.Warning, Message = "GuardedAI's usage ledger {Location} takes records again (it was unavailable: {Reason}).")]
    public static partial void Available(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 1905, Level = LogLevel.Error, Message = "GuardedAI could not write {Count} usage record(s) to {Location}; ids: {Ids}.")]
    public static partial void WriteFailed(ILogger logger, Exception exception, int count, string location, string ids);

    [LoggerMessage(EventId = 1906, Level = LogLevel.Warning, Message = "GuardedAI skipped line {Line} of the spill {Path}: it is not a whole record (a write cut short by a crash, never acknowledged).")]
    public static partial void SpillLineSkipped(ILogger logger, int line, string path);

    [LoggerMessage(EventId = 1907, Level = LogLevel.Warning, Message = "Replaying the local spill into {Location} failed ({Reason}); it is tried again.")]
    public static partial void ReplayFailed(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 1908, Level = LogLevel.Error, Message = "GuardedAI kept {Count} usage record(s) it could not write to {Location} before closing in the spill {SpillPath}; they are written when the ledger next opens.")]
    public static partial void SpilledAtClose(ILogger logger, int count, string location, string spillPath);

    [LoggerMessage(EventId = 1909, Level = LogLevel.Error, Message = "GuardedAI could not send the ledger alert to {Sink}.")]
    public static partial void AlertFailed(ILogger logger, Exception exception, string sink);

    [LoggerMessage(EventId = 1910, Level = LogLevel.Error, Message = "The database {Location} refused {Count} usage record(s) for what they hold; they are kept in {RefusedPath} (move it to the spill path with the suffix .replay-refused, once fixed, to replay them at the next start); ids: {Ids}.")]
    public static partial void RecordsRefused(ILogger logger, Exception exception, int count, string location, string ids, string refusedPath);

    [LoggerMessage(EventId = 1911, Level = LogLevel.Critical, Message = "GuardedAI could not keep {Count} refused usage record(s) in {RefusedPath}; they are in the log line before this one only.")]
    public static partial void RefusedNotKept(ILogger logger, Exception exception, int count, string refusedPath);

    [LoggerMessage(EventId = 1912, Level = LogLevel.Warning, Message = "{Count} usage record(s) the database {Location} refused are kept in {RefusedPath}; move it to the spill path with the suffix .replay-refused, once fixed, to replay them at the next start.")]
    public static partial void RefusedWaiting(ILogger logger, int count, string location, string refusedPath);
}

using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Sqlite;

/// <summary>
/// Records a ledger could not write before it closed (its file was still locked): one JSON line each in
/// <c>&lt;database&gt;.pending.jsonl</c> beside the database, read back into it when the ledger next opens. So a record
/// the file refused is kept, not lost, whatever holds the lock at shutdown.
/// </summary>
internal static class PendingRecordsFile
{
    public static string PathFor(string database) => database + ".pending.jsonl";

    /// <summary>Appends <paramref name="records"/> to the pending file, flushed to disk.</summary>
    public static void Save(string database, IReadOnlyCollection<UsageRecord> records)
    {
        using var stream = new FileStream(PathFor(database), FileMode.Append, FileAccess.Write, FileShare.None);
        using (var writer = new StreamWriter(stream, leaveOpen: true))
        {
            foreach (var record in records) writer.WriteLine(JsonSerializer.Serialize(record));
        }
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The records of the pending file (lines that cannot be read are logged and skipped), or none.</summary>
    public static IReadOnlyList<UsageRecord> Load(string database, ILogger logger)
    {
        var path = PathFor(database);
        if (!File.Exists(path)) return [];
        var records = new List<UsageRecord>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonSerializer.Deserialize<UsageRecord>(line) is { } record) records.Add(record);
            }
            catch (JsonException ex)
            {
                logger.LogError(ex, "GuardedAI could not read line {Line} of {Path}; it is skipped.", number, path);
            }
        }
        return records;
    }

    public static void Delete(string database) => File.Delete(PathFor(database));
}

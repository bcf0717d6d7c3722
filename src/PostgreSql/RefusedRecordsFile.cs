using System.Text;
using System.Text.Json;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Records the database refused for what they hold — a value a column cannot hold, a constraint, a trigger's error (see
/// <see cref="PostgreSqlConnections.IsOutage"/>) — kept beside the spill instead of being lost: one JSON line each, in the
/// spill's own format, fsynced before the refusal is reported. Once whatever refused them is fixed, moving the file to
/// <c>&lt;SpillPath&gt;.replay-refused</c> has the ledger replay it when it next opens (ids already in the database skipped).
/// </summary>
internal sealed class RefusedRecordsFile
{
    private const string Suffix = ".refused";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _count;

    public RefusedRecordsFile(string spillPath)
    {
        Path = System.IO.Path.GetFullPath(spillPath) + Suffix;
        _count = File.Exists(Path) ? File.ReadLines(Path).Count(l => l.Length > 0) : 0;
    }

    public string Path { get; }

    /// <summary>Records in the file, kept by this run and earlier ones.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends <paramref name="records"/> and fsyncs the file.</summary>
    public async Task AppendAsync(IReadOnlyCollection<UsageRecord> records)
    {
        var text = new StringBuilder();
        foreach (var record in records) text.Append(JsonSerializer.Serialize(record)).Append('\n');
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            // After a torn last line (a crash mid-write), the new records start on a line of their own.
            if (stream.Length > 0 && SpillFile.LastByte(Path) != (byte)'\n') stream.WriteByte((byte)'\n');
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
            Interlocked.Add(ref _count, records.Count);
        }
        finally
        {
            _gate.Release();
        }
    }
}

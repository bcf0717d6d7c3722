using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql;

/// <summary>
/// The local spill of a PostgreSQL ledger: records that could not reach the database, one JSON line each, appended and
/// fsynced before <see cref="AppendAsync"/> returns (so an acknowledged record survives a SIGKILL or a power cut). Bounded by
/// a record count. To replay, the current file is moved aside (<see cref="TakeForReplayAsync"/>): new records go to a fresh
/// file while the taken ones are written to the database, and the taken file is deleted only once they all are. A
/// crash at any point leaves every record in some file; the database skips the ids it already has, so a replay
/// repeated after a crash counts nothing twice. A torn last line (the process died mid-write, before the fsync that
/// would have acknowledged it) is logged and skipped.
/// </summary>
internal sealed class SpillFile : IDisposable
{
    private const string ReplaySuffix = ".replay-";
    private readonly object _gate = new();
    private readonly string _path;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly FileStream _lock;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly StringBuilder _waiting = new();
    private long _lastTicket;
    private long _durableTicket;
    private int _count;
    private long _longestWriteTicks;
    // Per file taken for replay: how many of its records, from its start, the database already holds.
    private readonly Dictionary<string, int> _replayedThrough = new(StringComparer.Ordinal);

    public SpillFile(string path, int capacity, ILogger logger)
    {
        _path = System.IO.Path.GetFullPath(path);
        _capacity = capacity;
        _logger = logger;
        var directory = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        try
        {
            // One process per spill: two writing one file could interleave their lines, and a line is an acknowledged record.
            // The lock (an advisory file lock) ends with the process, however it ends.
            _lock = new FileStream(_path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"Another process uses the spill file '{_path}'. Give each instance its own GuardedAI:PostgreSql:SpillPath.", ex);
        }
        // What earlier runs left (in the live file or in a replay they did not finish) counts against the capacity.
        _count = Files().Sum(CountRecords);
    }

    public string Path => _path;

    /// <summary>The longest one write and fsync of the spill took (the local disk's part of a call's wait during an outage).</summary>
    public TimeSpan LongestWrite => TimeSpan.FromTicks(Volatile.Read(ref _longestWriteTicks));

    /// <summary>Records held in the spill, not yet replayed.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends and fsyncs <paramref name="records"/>; false (nothing written) when they would pass the capacity,
    /// unless <paramref name="evenIfFull"/> (closing: records must not be lost).</summary>
    /// <remarks>Group commit: appends that arrive while another one writes are written and fsynced together by the next
    /// writer, so many callers spilling at once cost a few fsyncs, not one each.</remarks>
    public async ValueTask<bool> AppendAsync(IReadOnlyCollection<UsageRecord> records, bool evenIfFull = false)
    {
        if (records.Count == 0) return true;
        var text = ToLines(records);
        long ticket;
        lock (_gate)
        {
            if (!evenIfFull && _count + records.Count > _capacity) return false;
            _count += records.Count;
            _waiting.Append(text);
            ticket = ++_lastTicket;
        }
        // Waiting callers wait asynchronously: only the one writing holds a thread.
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _durableTicket) >= ticket) return true; // an earlier writer took these lines with its own
            string lines;
            long upTo;
            lock (_gate)
            {
                lines = _waiting.ToString();
                _waiting.Clear();
                upTo = _lastTicket;
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            AppendDurably(_path, lines);
            Volatile.Write(ref _durableTicket, upTo);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
            if (took > _longestWriteTicks) _longestWriteTicks = took;
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Moves the live file aside and returns every file waiting to be replayed (older first).</summary>
    public async Task<IReadOnlyList<string>> TakeForReplayAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (File.Exists(_path))
                {
                    File.Move(_path, _path + ReplaySuffix + DateTime.UtcNow.Ticks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture));
                }
                return ReplayFiles();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The records of a file taken for replay; lines that are not whole records are logged and skipped.</summary>
    public IReadOnlyList<UsageRecord> Read(string file) => ReadFile(file, _logger);

    /// <summary>How many of <paramref name="file"/>'s records, from its start, an earlier replay round already wrote to the
    /// database (a round that stopped part-way, e.g. a batch that timed out, resumes after them instead of sending them again).</summary>
    public int ReplayedThrough(string file)
    {
        lock (_gate) return _replayedThrough.GetValueOrDefault(file);
    }

    /// <summary>The database holds <paramref name="file"/>'s records up to <paramref name="through"/>; the last
    /// <paramref name="records"/> of them no longer count as held here (the file is deleted once all of it is written).</summary>
    public void ChunkReplayed(string file, int through, int records)
    {
        lock (_gate)
        {
            _replayedThrough[file] = through;
            _count = Math.Max(0, _count - records);
        }
    }

    /// <summary>Deletes a replayed file (its records are all in the database and were counted off by <see cref="ChunkReplayed"/>).</summary>
    public void Replayed(string file)
    {
        lock (_gate)
        {
            File.Delete(file);
            _replayedThrough.Remove(file);
            if (ReplayFiles().Count == 0 && !File.Exists(_path)) _count = 0;
        }
    }

    /// <summary>Every record held (for queries while the database is away).</summary>
    public IReadOnlyList<UsageRecord> ReadAll()
    {
        lock (_gate) return Files().SelectMany(f => ReadFile(f, _logger)).ToList();
    }

    private List<string> Files()
    {
        var files = ReplayFiles().ToList();
        if (File.Exists(_path)) files.Add(_path);
        return files;
    }

    private List<string> ReplayFiles()
    {
        var directory = System.IO.Path.GetDirectoryName(_path)!;
        var prefix = System.IO.Path.GetFileName(_path) + ReplaySuffix;
        return Directory.Exists(directory)
            ? Directory.GetFiles(directory, prefix + "*").Order(StringComparer.Ordinal).ToList()
            : [];
    }

    private static List<UsageRecord> ReadFile(string file, ILogger logger)
    {
        var records = new List<UsageRecord>();
        if (!File.Exists(file)) return records;
        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                if (JsonSerializer.Deserialize<UsageRecord>(line) is { } record) records.Add(record);
            }
            catch (JsonException)
            {
                // Only a write cut short by a crash leaves such a line, and that write was never acknowledged.
                PostgreSqlLog.SpillLineSkipped(logger, number, file);
            }
        }
        return records;
    }

    /// <summary>The JSON lines of <paramref name="records"/>, as spill files hold them.</summary>
    internal static StringBuilder ToLines(IEnumerable<UsageRecord> records)
    {
        var text = new StringBuilder();
        foreach (var record in records) text.Append(JsonSerializer.Serialize(record)).Append('\n');
        return text;
    }

    /// <summary>The records a file of JSON lines holds (its lines that are not empty).</summary>
    internal static int CountRecords(string file) => File.ReadLines(file).Count(l => l.Length > 0);

    /// <summary>Appends <paramref name="lines"/> to <paramref name="path"/> and fsyncs it. A file that ends in a torn line (a
    /// crash mid-write) gets a line break first, so the new records are whole lines.</summary>
    internal static void AppendDurably(string path, string lines)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (stream.Length > 0 && LastByte(path) != (byte)'\n') stream.WriteByte((byte)'\n');
        stream.Write(Encoding.UTF8.GetBytes(lines));
        stream.Flush(flushToDisk: true);
    }

    private static byte LastByte(string path)
    {
        using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (read.Length == 0) return (byte)'\n';
        read.Seek(-1, SeekOrigin.End);
        return (byte)read.ReadByte();
    }

    /// <summary>Releases the spill for another process.</summary>
    public void Dispose()
    {
        _lock.Dispose();
        try { File.Delete(_path + ".lock"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _writeGate.Dispose();
    }
}

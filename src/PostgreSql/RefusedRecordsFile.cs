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
        _count = File.Exists(Path) ? SpillFile.CountRecords(Path) : 0;
    }

    public string Path { get; }

    /// <summary>Records in the file, kept by this run and earlier ones.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends <paramref name="records"/> and fsyncs the file.</summary>
    public async Task AppendAsync(IReadOnlyCollection<UsageRecord> records)
    {
        var lines = SpillFile.ToLines(records).ToString();
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            SpillFile.AppendDurably(Path, lines);
            Interlocked.Add(ref _count, records.Count);
        }
        finally
        {
            _gate.Release();
        }
    }
}

using System.Runtime.CompilerServices;

namespace GuardedAI;

/// <summary>
/// A ledger in process memory: fast, lost on exit, and bounded — the default when no durable ledger is configured, meant
/// for tests, demos and processes that keep their records elsewhere. It keeps the most recent <see cref="Capacity"/>
/// records (100,000 by default, a few tens of MB) and forgets the oldest beyond that, so a long-running process does not
/// grow without end. Reports and counter restores read only what it still holds: use the SQLite (or PostgreSQL) ledger
/// when they must cover every call, as the README says.
/// </summary>
/// <remarks>Appending takes no lock: each record takes the next slot of a ring with one atomic increment.</remarks>
public sealed class InMemoryUsageLedger : IUsageLedger
{
    /// <summary>The number of records kept by default.</summary>
    public const int DefaultCapacity = 100_000;

    private const int ChunkSize = 1024;

    private readonly UsageRecord?[]?[] _chunks;
    private long _appended;

    /// <summary>A ledger that keeps the most recent <see cref="DefaultCapacity"/> records.</summary>
    public InMemoryUsageLedger() : this(DefaultCapacity) { }

    /// <summary>A ledger that keeps the most recent <paramref name="capacity"/> records.</summary>
    public InMemoryUsageLedger(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        // Memory is taken a chunk at a time as records arrive, so a small test ledger stays small.
        _chunks = new UsageRecord?[]?[(capacity + ChunkSize - 1) / ChunkSize];
    }

    /// <summary>The most records kept; beyond it the oldest are forgotten.</summary>
    public int Capacity { get; }

    /// <summary>How many records were appended in all (kept or since forgotten).</summary>
    public long AppendedCount => Interlocked.Read(ref _appended);

    /// <inheritdoc/>
    public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var slot = (Interlocked.Increment(ref _appended) - 1) % Capacity;
        var chunk = _chunks[slot / ChunkSize] ?? CreateChunk(slot / ChunkSize);
        Volatile.Write(ref chunk[slot % ChunkSize], record);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var record in Snapshot())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (query.Matches(record)) yield return record;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>A copy of the records held, oldest first. A record whose append is still in progress may be missing.</summary>
    public IReadOnlyList<UsageRecord> Snapshot()
    {
        var appended = Interlocked.Read(ref _appended);
        var count = (int)Math.Min(appended, Capacity);
        var records = new List<UsageRecord>(count);
        for (var n = appended - count; n < appended; n++)
        {
            var slot = n % Capacity;
            if (Volatile.Read(ref _chunks[slot / ChunkSize]) is { } chunk && Volatile.Read(ref chunk[slot % ChunkSize]) is { } record) records.Add(record);
        }
        return records;
    }

    private UsageRecord?[] CreateChunk(long index)
    {
        var size = (int)Math.Min(ChunkSize, Capacity - index * ChunkSize);
        Interlocked.CompareExchange(ref _chunks[index], new UsageRecord?[size], null);
        return _chunks[index]!;
    }
}

using System.Runtime.CompilerServices;
using GuardedAI.Engine;

namespace GuardedAI;

/// <summary>
/// A ledger in process memory: fast, lost on exit, and bounded — the default when no durable ledger is configured, meant
/// for tests, demos and processes that keep their records elsewhere. It keeps the most recent <see cref="Capacity"/>
/// records (100,000 by default, a few tens of MB) and forgets the oldest beyond that, so a long-running process does not
/// grow without end. Reports and counter restores read only what it still holds: use the SQLite (or PostgreSQL) ledger
/// when they must cover every call, as the README says.
/// </summary>
/// <remarks>
/// Appending takes no lock shared between callers: each record takes the next slot of a ring with one atomic increment,
/// and its values are copied into that slot (see <see cref="LedgerSlot"/>) under the slot's own lock. The slots are
/// made once and reused, so no record outlives its call: keeping the record object itself made every call's record
/// survive into the oldest generation, and the garbage collector's copying of them cost ~0.65 µs a call
/// (docs/benchmarks-history.md, fifth round). The engine's settlement hands its values over without making a record at all
/// when nobody asked for one (the guards). <see cref="Snapshot"/> and <see cref="QueryAsync"/> build records
/// equal to the ones appended (the same values; the same tags dictionary), not the same instances.
/// </remarks>
public sealed class InMemoryUsageLedger : IUsageLedger
{
    /// <summary>The number of records kept by default.</summary>
    public const int DefaultCapacity = 100_000;

    private const int ChunkSize = 1024;

    private readonly LedgerSlot[]?[] _chunks;
    // Every append increments it; kept off the line of the fields every append reads.
    private PaddedLong _appended;

    /// <summary>A ledger that keeps the most recent <see cref="DefaultCapacity"/> records.</summary>
    public InMemoryUsageLedger() : this(DefaultCapacity) { }

    /// <summary>A ledger that keeps the most recent <paramref name="capacity"/> records.</summary>
    public InMemoryUsageLedger(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        // Memory is taken a chunk at a time as records arrive, so a small test ledger stays small.
        _chunks = new LedgerSlot[]?[(capacity + ChunkSize - 1) / ChunkSize];
    }

    /// <summary>The most records kept; beyond it the oldest are forgotten.</summary>
    public int Capacity { get; }

    /// <summary>How many records were appended in all (kept or since forgotten).</summary>
    public long AppendedCount => Volatile.Read(ref _appended.Value);

    /// <inheritdoc/>
    public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        Append(UsageValues.Of(record));
        return ValueTask.CompletedTask;
    }

    /// <summary>Appends a record's values without a record object: the engine's settlement, when nobody asked for the record.</summary>
    internal void Append(in UsageValues values)
    {
        var sequence = Interlocked.Increment(ref _appended.Value) - 1;
        var slot = sequence % Capacity;
        var chunk = Volatile.Read(ref _chunks[slot / ChunkSize]) ?? CreateChunk(slot / ChunkSize);
        chunk[slot % ChunkSize].Write(values, sequence);
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
        var appended = Volatile.Read(ref _appended.Value);
        var count = (int)Math.Min(appended, Capacity);
        var records = new List<UsageRecord>(count);
        for (var n = appended - count; n < appended; n++)
        {
            var slot = n % Capacity;
            if (Volatile.Read(ref _chunks[slot / ChunkSize]) is { } chunk && chunk[slot % ChunkSize].Read(n) is { } record) records.Add(record);
        }
        return records;
    }

    private LedgerSlot[] CreateChunk(long index)
    {
        var size = (int)Math.Min(ChunkSize, Capacity - index * ChunkSize);
        var chunk = new LedgerSlot[size];
        for (var i = 0; i < chunk.Length; i++) chunk[i] = new LedgerSlot();
        return Interlocked.CompareExchange(ref _chunks[index], chunk, null) ?? chunk;
    }
}

using GuardedAI.Retention;
namespace GuardedAI.Sqlite;

/// <summary>When <see cref="SqliteUsageLedger.AppendAsync"/> returns.</summary>
public enum LedgerDurability
{
    /// <summary>
    /// <c>AppendAsync</c> completes only after the transaction holding the record committed with
    /// <c>synchronous=FULL</c>: an acknowledged record survives a process crash and a power loss.
    /// Appends of concurrent calls share one transaction (group commit).
    /// </summary>
    Synchronous,

    /// <summary>
    /// <c>AppendAsync</c> completes once the record is queued; a background writer commits within
    /// <see cref="SqliteLedgerOptions.FlushInterval"/> (and on dispose). A process crash can lose the records of
    /// the last interval. Faster; the default is <see cref="Synchronous"/>.
    /// </summary>
    Batched,
}

/// <summary>Settings of <see cref="SqliteUsageLedger"/>.</summary>
public sealed class SqliteLedgerOptions
{
    /// <summary>The database file (created with its directory if missing). Default <c>guardedai.db</c> in the working directory.</summary>
    public string Path { get; set; } = "guardedai.db";

    /// <summary>When an append counts as done (default <see cref="LedgerDurability.Synchronous"/>).</summary>
    public LedgerDurability Durability { get; set; } = LedgerDurability.Synchronous;

    /// <summary>Most records written in one transaction (default 1,000). The writer takes what is queued up to this
    /// many, so a larger bound adds no wait when few records come; under load it spends less per record (docs/benchmarks.md).</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>In <see cref="LedgerDurability.Batched"/> mode, the longest a queued record waits to be written (default 200 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Records that may wait to be written (default 10,000). Appends never wait for room and nothing is
    /// dropped: a longer backlog marks the ledger unavailable (a store-down condition) until the writer catches up.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// The longest SQLite waits for a lock held by another connection or process, and the longest a call waits for
    /// its record to be written (default 2 s). Past it the ledger counts as unavailable: calls go on (or are denied)
    /// as <see cref="BudgetEngineOptions.StoreFailureMode"/> says, records wait in memory and are written when the file
    /// is free. Start-up on a locked file fails after this long, saying the file is locked.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether the write-ahead log is checkpointed (copied back into the file) by a second connection after the writer
    /// commits, instead of by the writer itself when the log passes 1,000 pages (default true). The writer then goes on
    /// writing while the log is copied; it still checkpoints itself if the log reaches 4,000 pages (~16 MB), so the log
    /// stays bounded. Off: one connection, SQLite's own checkpoints.
    /// </summary>
    public bool BackgroundCheckpoints { get; set; } = true;

    /// <summary>Automatic retention run by a background worker of the host (<c>GuardedAI:Sqlite:Retention</c>); null (the default): none — the ledger keeps everything until <c>guardedai retention --apply</c>.</summary>
    public LedgerRetentionOptions? Retention { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new InvalidOperationException("GuardedAI:Sqlite:Path must name a file.");
        if (BatchSize <= 0) throw new InvalidOperationException($"GuardedAI:Sqlite:BatchSize must be positive, but is {BatchSize}.");
        if (QueueCapacity <= 0) throw new InvalidOperationException($"GuardedAI:Sqlite:QueueCapacity must be positive, but is {QueueCapacity}.");
        if (FlushInterval < TimeSpan.Zero) throw new InvalidOperationException("GuardedAI:Sqlite:FlushIntervalMs must not be negative.");
        if (BusyTimeout <= TimeSpan.Zero) throw new InvalidOperationException($"GuardedAI:Sqlite:BusyTimeoutMs must be positive, but is {BusyTimeout.TotalMilliseconds} ms.");
    }
}

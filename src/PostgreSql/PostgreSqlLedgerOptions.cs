using System.Text.RegularExpressions;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>When <see cref="PostgreSqlUsageLedger.AppendAsync"/> returns.</summary>
public enum PostgreSqlDurability
{
    /// <summary>
    /// <c>AppendAsync</c> completes once the record is durable: committed in PostgreSQL (whose commit waits for its WAL
    /// flush unless the server is configured with <c>synchronous_commit = off</c>), or — while the database is
    /// unreachable — written and fsynced to the local spill file. Concurrent appends share one statement (group commit).
    /// </summary>
    Synchronous,

    /// <summary>
    /// <c>AppendAsync</c> completes once the record is queued; a background writer commits within
    /// <see cref="PostgreSqlLedgerOptions.FlushInterval"/> (and on dispose). A process crash can lose the records of the
    /// last interval.
    /// </summary>
    Batched,
}

/// <summary>Settings of <see cref="PostgreSqlUsageLedger"/> (configuration section <c>GuardedAI:PostgreSql</c>).</summary>
public sealed partial class PostgreSqlLedgerOptions
{
    /// <summary>An Npgsql connection string (<c>Host=…;Database=…;Username=…;Password=…</c>). Its password is never logged
    /// or shown; messages name the host, port and database only.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The PostgreSQL schema GuardedAI's tables live in, created when missing (default <c>guardedai</c>).
    /// Lower-case letters, digits and underscores.</summary>
    public string Schema { get; set; } = "guardedai";

    /// <summary>When an append counts as done (default <see cref="PostgreSqlDurability.Synchronous"/>).</summary>
    public PostgreSqlDurability Durability { get; set; } = PostgreSqlDurability.Synchronous;

    /// <summary>Most records written in one statement (default 256).</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>In <see cref="PostgreSqlDurability.Batched"/> mode, the longest a queued record waits to be written (default 200 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Records that may wait in memory to be written (default 10,000). Appends never wait for room and nothing is
    /// dropped: a longer backlog marks the ledger unavailable (a store-down condition) until the writer catches up.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// The longest a call waits for its record (default 2 s), and the longest one write to the database may take
    /// before the database counts as unreachable. Past it the record goes to the spill file (fsynced) and the call goes on.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The local file that keeps records while PostgreSQL is unreachable (JSON lines, fsynced before a synchronous append
    /// returns), replayed into the database once it is back (default <c>guardedai-ledger.spill.jsonl</c> in the working
    /// directory). Each instance needs its own file; a restart replays what a crash left in it.
    /// </summary>
    public string SpillPath { get; set; } = "guardedai-ledger.spill.jsonl";

    /// <summary>Most records the spill holds (default 100,000). A full spill makes the ledger unavailable: records wait
    /// in memory and the engine's <see cref="StoreFailureMode"/> applies until the database is back.</summary>
    public int SpillCapacity { get; set; } = 100_000;

    /// <summary>How often the writer tries the database again while it spills (default 5 s).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString)) throw new InvalidOperationException("GuardedAI:PostgreSql:ConnectionString is required: an Npgsql connection string such as 'Host=db;Database=app;Username=app;Password=…'.");
        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException)
        {
            // The message may quote the value, and the value may hold a password: name the setting only.
            throw new InvalidOperationException("GuardedAI:PostgreSql:ConnectionString is not a valid Npgsql connection string (keywords such as Host, Port, Database, Username, Password separated by ';'). Its value is not shown because it may hold a password.");
        }
        if (!SchemaName().IsMatch(Schema ?? "")) throw new InvalidOperationException($"GuardedAI:PostgreSql:Schema must be a lower-case identifier (letters, digits, underscores, at most 63), but is '{Schema}'.");
        if (BatchSize <= 0) throw new InvalidOperationException($"GuardedAI:PostgreSql:BatchSize must be positive, but is {BatchSize}.");
        if (QueueCapacity <= 0) throw new InvalidOperationException($"GuardedAI:PostgreSql:QueueCapacity must be positive, but is {QueueCapacity}.");
        if (SpillCapacity <= 0) throw new InvalidOperationException($"GuardedAI:PostgreSql:SpillCapacity must be positive, but is {SpillCapacity}.");
        if (FlushInterval < TimeSpan.Zero) throw new InvalidOperationException("GuardedAI:PostgreSql:FlushIntervalMs must not be negative.");
        if (WriteTimeout <= TimeSpan.Zero) throw new InvalidOperationException($"GuardedAI:PostgreSql:WriteTimeoutMs must be positive, but is {WriteTimeout.TotalMilliseconds} ms.");
        if (RetryInterval <= TimeSpan.Zero) throw new InvalidOperationException($"GuardedAI:PostgreSql:RetryIntervalMs must be positive, but is {RetryInterval.TotalMilliseconds} ms.");
        if (string.IsNullOrWhiteSpace(SpillPath)) throw new InvalidOperationException("GuardedAI:PostgreSql:SpillPath must name a file.");
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}

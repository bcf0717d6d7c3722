namespace GuardedAI.Redis;

/// <summary>How GuardedAI connects to Redis and names its keys.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>A StackExchange.Redis connection string, e.g. <c>redis1:6379,redis2:6379,password=…,ssl=true</c>.</summary>
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>Prefix of every key (default <c>{guardedai}:</c>; the hash tag keeps them in one cluster slot, which the scripts need).</summary>
    public string KeyPrefix { get; set; } = "{guardedai}:";

    /// <summary>Connect timeout, used when the connection string sets none (default 2 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Operation timeout, used when the connection string sets none (default 2 s). No call waits on Redis longer than this (plus a small margin).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long after its window ends a counter key is kept, so a late settlement still finds it (default 1 hour).</summary>
    public TimeSpan CounterGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a settled reservation id is remembered (default 2 hours). A restart within this time after a crash
    /// replays the crashed instance's ledger without counting anything twice. Costs about 80 bytes of Redis memory per call.
    /// </summary>
    public TimeSpan SettlementMemory { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Most expired leases one sweep returns (default 1,000).</summary>
    public int ReclaimBatchSize { get; set; } = 1000;

    /// <summary>
    /// How far this instance's clock may be from the Redis server's before a warning is logged (default 1 s). Windows
    /// and leases follow the server's clock either way; a large skew means this host's time is wrong.
    /// </summary>
    public TimeSpan ClockSkewWarning { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Tests only: a key (under <see cref="KeyPrefix"/>) whose value in Unix milliseconds replaces the server's
    /// <c>TIME</c> in the scripts, so tests can drive the shared clock across midnight. Never set in production.
    /// </summary>
    internal string? TestServerClockKey { get; set; }
}

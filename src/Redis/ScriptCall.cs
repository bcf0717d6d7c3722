using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// One call of the reserve or settle script, waiting for its answer: the reservation and the key names it charges, as
/// typed values; <see cref="ScriptRequests"/> writes them into a request when it is sent, alone or with others.
/// </summary>
internal abstract class ScriptCall(RedisBudgetCounterStore store, CounterReservation reservation, RedisKey[] counters, RedisKey leaseKey)
    : TaskCompletionSource<ScriptAnswer>(TaskCreationOptions.RunContinuationsAsynchronously)   // callers resume on the pool, not on the thread that read the answer
{
    public RedisBudgetCounterStore Store { get; } = store;

    public CounterReservation Reservation { get; } = reservation;

    /// <summary>The counters' keys, in the reservation's order (shared by the calls of one charge set).</summary>
    public RedisKey[] Counters { get; } = counters;

    /// <summary>The reservation's lease key (<c>s:&lt;id&gt;</c>).</summary>
    public RedisKey LeaseKey { get; } = leaseKey;
}

/// <summary>A reservation: the lease's duration, the calendar windows the server's time must be in, and the lease.</summary>
internal sealed class ReserveCall(RedisBudgetCounterStore store, CounterReservation reservation, RedisKey[] counters, RedisKey leaseKey,
    long leaseMs, long latestStart, long earliestEnd, byte[] lease) : ScriptCall(store, reservation, counters, leaseKey)
{
    public long LeaseMs { get; } = leaseMs;

    /// <summary>The latest start of the charged calendar windows (Unix ms; 0 when none is charged).</summary>
    public long LatestStart { get; } = latestStart;

    /// <summary>The earliest end of the charged calendar windows (Unix ms; 0 when none is charged).</summary>
    public long EarliestEnd { get; } = earliestEnd;

    /// <summary>The lease as the script stores it (see <see cref="RedisScripts"/>' lease functions).</summary>
    public byte[] Lease { get; } = lease;
}

/// <summary>A settlement: its actual amounts are the reservation's; the previous layout's lease key is read during a rolling upgrade.</summary>
internal sealed class SettleCall(RedisBudgetCounterStore store, CounterReservation reservation, RedisKey[] counters, RedisKey leaseKey,
    RedisKey previousLeaseKey, byte[] lease) : ScriptCall(store, reservation, counters, leaseKey)
{
    public RedisKey PreviousLeaseKey { get; } = previousLeaseKey;

    /// <summary>The lease the reservation wrote, as its reserve call sent it: when the script finds this very lease, it
    /// takes the reserved amounts from the request instead of reading them from the lease.</summary>
    public byte[] Lease { get; } = lease;
}

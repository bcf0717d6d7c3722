namespace GuardedAI;

/// <summary>
/// One reusable place in <see cref="InMemoryUsageLedger"/>'s ring: the values of a <see cref="UsageRecord"/>, copied in
/// and out under this slot's lock (only an append that wrapped the ring onto the same slot, or a reader, ever waits on
/// it). A reservation id as the engine makes it is kept as its 128 bits (<see cref="UsageValues"/>), so a kept record
/// holds no string of its own in the common case; any other id is kept as it came.
/// </summary>
internal sealed class LedgerSlot
{
    private long _sequence = -1;
    private UsageValues _values;

    /// <summary>Copies <paramref name="values"/> in as append number <paramref name="sequence"/>, unless a later append
    /// (one that came round the ring while this one waited) already holds the slot.</summary>
    public void Write(in UsageValues values, long sequence)
    {
        lock (this)
        {
            if (_sequence > sequence) return;
            _sequence = sequence;
            values.CopyTo(ref _values); // not `_values = values`: see CopyTo
        }
    }

    /// <summary>The record appended as number <paramref name="sequence"/>, or null when the slot holds another (an
    /// append not yet written, or a later one that came round the ring).</summary>
    public UsageRecord? Read(long sequence)
    {
        lock (this)
        {
            return _sequence == sequence ? _values.ToRecord() : null;
        }
    }
}

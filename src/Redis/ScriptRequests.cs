using System.Buffers;
using System.Buffers.Binary;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// Writes the keys and arguments of one request of the reserve or settle script (<see cref="RedisScripts.Reserve"/>,
/// <see cref="RedisScripts.Settle"/> document the layouts) for one call or several: each distinct counter is named once,
/// and each call points at its counters by their position.
/// </summary>
internal static class ScriptRequests
{
    /// <summary>Past this many distinct counters, they are found by a dictionary instead of a scan.</summary>
    private const int ScanLimit = 16;

    public static (RedisKey[] Keys, RedisValue[] Values) Reserve(ReserveCall[] calls)
    {
        var store = calls[0].Store;
        var counters = DistinctCounters(calls, out var positions, out var total);
        try
        {
            var keys = new RedisKey[1 + counters.Count + calls.Length];
            keys[0] = store.HeldKey;
            counters.CopyTo(keys, 1);
            var values = new RedisValue[2 + calls.Length];
            values[0] = counters.Count;
            var numbers = new PackedNumbers(calls.Length * 5 + total * 4);
            int counter = 0;
            for (var r = 0; r < calls.Length; r++)
            {
                var call = calls[r];
                SameStore(store, call);
                keys[1 + counters.Count + r] = call.LeaseKey;
                var reservation = call.Reservation;
                var charges = reservation.Set.Charges;
                numbers.Add(call.LeaseMs);
                numbers.Add(RedisBudgetCounterStore.LeaseExtraMs);
                numbers.Add(call.LatestStart);
                numbers.Add(call.EarliestEnd);
                numbers.Add(charges.Length);
                for (var i = 0; i < charges.Length; i++)
                {
                    numbers.Add(positions[counter++]);
                    numbers.Add(reservation.ReservedAmount(i));
                    numbers.Add(charges[i].Limit);
                    numbers.Add(store.SignedExpireAt(charges[i]));
                }
                values[2 + r] = call.Lease;
            }
            values[1] = numbers.Bytes;
            return (keys, values);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(positions);
        }
    }

    public static (RedisKey[] Keys, RedisValue[] Values) Settle(SettleCall[] calls)
    {
        var store = calls[0].Store;
        var counters = DistinctCounters(calls, out var positions, out var total);
        try
        {
            var keys = new RedisKey[2 + counters.Count + calls.Length * 2];
            keys[0] = store.HeldKey;
            keys[1] = store.PreviousLeasesKey;
            counters.CopyTo(keys, 2);
            var markerMs = store.SettledMarkerMs;
            var values = new RedisValue[2 + calls.Length];
            values[0] = counters.Count;
            var numbers = new PackedNumbers(calls.Length * 2 + total * 4);
            int counter = 0, keyAt = 2 + counters.Count;
            for (var r = 0; r < calls.Length; r++)
            {
                var call = calls[r];
                SameStore(store, call);
                keys[keyAt++] = call.LeaseKey;
                keys[keyAt++] = call.PreviousLeaseKey;
                var reservation = call.Reservation;
                var charges = reservation.Set.Charges;
                numbers.Add(markerMs);
                numbers.Add(charges.Length);
                var callPositions = positions.AsSpan(counter, charges.Length);
                for (var i = 0; i < charges.Length; i++)
                {
                    numbers.Add(positions[counter++]);
                    numbers.Add(reservation.ActualAmount(i));
                    numbers.Add(store.SignedExpireAt(charges[i]));
                    numbers.Add(ReservedOnFirstCharge(reservation, callPositions, i));
                }
                values[2 + r] = call.Lease;
            }
            values[1] = numbers.Bytes;
            return (keys, values);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(positions);
        }
    }

    /// <summary>
    /// What charge <paramref name="charge"/> of a settlement sends as reserved: a counter's amounts reserved, added up, on
    /// its first charge in the call and 0 on any later one. The settle script subtracts each charge's own figure, which then
    /// comes to what its lease says of the counter, read by key (<see cref="RedisScripts.Settle"/>).
    /// </summary>
    private static long ReservedOnFirstCharge(CounterReservation reservation, ReadOnlySpan<int> callPositions, int charge)
    {
        var position = callPositions[charge];
        if (callPositions[..charge].Contains(position)) return 0;
        var reserved = reservation.ReservedAmount(charge);
        for (var later = charge + 1; later < callPositions.Length; later++)
        {
            if (callPositions[later] == position) reserved += reservation.ReservedAmount(later);
        }
        return reserved;
    }

    /// <summary>
    /// The request's distinct counters in their first appearance's order; <paramref name="positions"/> (rented: return it)
    /// gives the calls' counters in turn their 1-based position among them; <paramref name="total"/> counts the calls' counters.
    /// </summary>
    private static List<RedisKey> DistinctCounters<TCall>(TCall[] calls, out int[] positions, out int total)
        where TCall : ScriptCall
    {
        total = 0;
        foreach (var call in calls) total += call.Counters.Length;
        positions = ArrayPool<int>.Shared.Rent(Math.Max(total, 1));
        var counters = new List<RedisKey>(Math.Min(total, ScanLimit));
        Dictionary<RedisKey, int>? index = null;
        var at = 0;
        foreach (var call in calls)
        {
            foreach (var key in call.Counters)
            {
                var position = index is not null ? (index.TryGetValue(key, out var found) ? found : 0) : Scan(counters, key);
                if (position == 0)
                {
                    counters.Add(key);
                    position = counters.Count;
                    if (index is not null) index.Add(key, position);
                    else if (counters.Count > ScanLimit) index = Index(counters);
                }
                positions[at++] = position;
            }
        }
        return counters;
    }

    private static int Scan(List<RedisKey> counters, RedisKey key)
    {
        for (var i = 0; i < counters.Count; i++)
        {
            if (counters[i] == key) return i + 1;
        }
        return 0;
    }

    private static Dictionary<RedisKey, int> Index(List<RedisKey> counters)
    {
        var index = new Dictionary<RedisKey, int>(counters.Count * 2);
        for (var i = 0; i < counters.Count; i++) index.Add(counters[i], i + 1);
        return index;
    }

    /// <summary>
    /// The numbers of a request's calls as one argument: little-endian doubles, which the scripts read with
    /// <c>struct.unpack</c>. The scripts' Lua numbers are doubles whichever way they arrive (<c>tonumber</c> of a decimal
    /// string gave the same value, rounded to the nearest double as this conversion is), so the values are unchanged.
    /// </summary>
    internal struct PackedNumbers(int count)
    {
        private int _at;

        public byte[] Bytes { get; } = new byte[count * sizeof(double)];

        public void Add(long value)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(Bytes.AsSpan(_at), value);
            _at += sizeof(double);
        }
    }

    /// <summary>Calls of one request come from one store: they share its held and previous leases sets.</summary>
    private static void SameStore(RedisBudgetCounterStore store, ScriptCall call)
    {
        if (!ReferenceEquals(call.Store, store)) throw new InvalidOperationException("Calls of one request come from different counter stores.");
    }
}

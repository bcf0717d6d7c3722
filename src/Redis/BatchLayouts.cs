using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// How calls become one request of the reserve or settle script (<see cref="RedisScripts.Reserve"/>,
/// <see cref="RedisScripts.Settle"/>). The store describes each call on its own: its keys (the shared sets, its lease,
/// its counters) and its arguments, in the order documented on each method here. A request names each distinct counter
/// once, and each call points at its counters by their position.
/// </summary>
internal static class BatchLayouts
{
    /// <summary>
    /// Reserve calls (keys: held zset, lease key, counters…; arguments: lease ms, extra TTL ms, latest start, earliest
    /// end, per counter amount, limit and expiry, the lease) into the reserve script's layout.
    /// </summary>
    public static (RedisKey[] Keys, RedisValue[] Values) Reserves(ScriptBatcher.PendingCall[] calls)
    {
        const int fixedKeys = 2;
        var counters = DistinctCounters(calls, fixedKeys, out var positions, out var argumentCount);
        var keys = new RedisKey[1 + counters.Count + calls.Length];
        keys[0] = calls[0].Keys[0];
        counters.CopyTo(keys, 1);
        var values = new RedisValue[1 + argumentCount + positions.Length + calls.Length];
        values[0] = counters.Count;
        var at = 1;
        var counter = 0;
        for (var r = 0; r < calls.Length; r++)
        {
            var call = calls[r];
            SameHeldSet(calls[0], call, 0);
            keys[1 + counters.Count + r] = call.Keys[1];
            var n = call.Keys.Length - fixedKeys;
            values[at++] = call.Values[0];
            values[at++] = call.Values[1];
            values[at++] = call.Values[2];
            values[at++] = call.Values[3];
            values[at++] = n;
            for (var i = 0; i < n; i++)
            {
                values[at++] = positions[counter++];
                values[at++] = call.Values[4 + i * 3];
                values[at++] = call.Values[5 + i * 3];
                values[at++] = call.Values[6 + i * 3];
            }
            values[at++] = call.Values[^1];
        }
        return (keys, values);
    }

    /// <summary>
    /// Settle calls (keys: held zset, lease key, previous leases zset, previous lease hash, counters…; arguments: marker
    /// TTL ms, per counter amount and expiry) into <see cref="RedisScripts.Settle"/>'s layout.
    /// </summary>
    public static (RedisKey[] Keys, RedisValue[] Values) Settlements(ScriptBatcher.PendingCall[] calls)
    {
        const int fixedKeys = 4;
        var counters = DistinctCounters(calls, fixedKeys, out var positions, out var argumentCount);
        var keys = new RedisKey[2 + counters.Count + calls.Length * 2];
        keys[0] = calls[0].Keys[0];
        keys[1] = calls[0].Keys[2];
        counters.CopyTo(keys, 2);
        var values = new RedisValue[1 + argumentCount + positions.Length + calls.Length];
        values[0] = counters.Count;
        var at = 1;
        var counter = 0;
        var keyAt = 2 + counters.Count;
        for (var r = 0; r < calls.Length; r++)
        {
            var call = calls[r];
            SameHeldSet(calls[0], call, 0);
            SameHeldSet(calls[0], call, 2);
            keys[keyAt++] = call.Keys[1];
            keys[keyAt++] = call.Keys[3];
            var n = call.Keys.Length - fixedKeys;
            values[at++] = call.Values[0];
            values[at++] = n;
            for (var i = 0; i < n; i++)
            {
                values[at++] = positions[counter++];
                values[at++] = call.Values[1 + i * 2];
                values[at++] = call.Values[2 + i * 2];
            }
        }
        return (keys, values);
    }

    /// <summary>
    /// The request's distinct counters in their first appearance's order; <paramref name="positions"/> gives each call's
    /// counters in turn their 1-based position among them; <paramref name="argumentCount"/> is the calls' own argument count.
    /// </summary>
    private static List<RedisKey> DistinctCounters(ScriptBatcher.PendingCall[] calls, int fixedKeys, out int[] positions, out int argumentCount)
    {
        var total = 0;
        argumentCount = 0;
        foreach (var call in calls)
        {
            total += call.Keys.Length - fixedKeys;
            argumentCount += call.Values.Length;
        }
        var index = new Dictionary<RedisKey, int>(total);
        var counters = new List<RedisKey>();
        positions = new int[total];
        var at = 0;
        foreach (var call in calls)
        {
            for (var i = fixedKeys; i < call.Keys.Length; i++)
            {
                var key = call.Keys[i];
                if (!index.TryGetValue(key, out var position))
                {
                    counters.Add(key);
                    position = counters.Count;
                    index.Add(key, position);
                }
                positions[at++] = position;
            }
        }
        return counters;
    }

    /// <summary>Every call of a request comes from one store, so its shared keys (the held and previous leases sets) agree.</summary>
    private static void SameHeldSet(ScriptBatcher.PendingCall first, ScriptBatcher.PendingCall call, int key)
    {
        if (call.Keys[key] != first.Keys[key]) throw new InvalidOperationException($"Calls of one request name different shared keys ('{first.Keys[key]}' and '{call.Keys[key]}').");
    }
}

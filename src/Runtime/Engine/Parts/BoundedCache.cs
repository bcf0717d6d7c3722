using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace GuardedAI;

/// <summary>
/// A concurrent map that forgets everything once it has taken <c>capacity</c> additions: the bound of the engine's
/// caches (token counts, alert keys, tenants' charge sets), where what is forgotten is rebuilt the same on its next use.
/// Additions are counted, not read from <see cref="ConcurrentDictionary{TKey, TValue}.Count"/>, which takes every lock
/// of the dictionary. It starts again with a table of full size rather than <c>Clear()</c>ing: <c>Clear()</c> goes back
/// to the smallest table, and regrowing it to the capacity rehashed everything several times (docs/benchmarks-history.md, fifth
/// round). The first table starts small, and is made with the first addition, so a cache that is never used costs
/// nothing at start-up: a table over one of the engine's structs is generic code no ReadyToRun image holds, compiled just
/// in time (the alert keys' and the tenants' sets were ~1.5 ms of a process's first call).
/// </summary>
internal sealed class BoundedCache<TKey, TValue> where TKey : notnull
{
    private readonly int _capacity;
    private readonly IEqualityComparer<TKey>? _comparer;
    private ConcurrentDictionary<TKey, TValue>? _entries;
    private int _adds;

    public BoundedCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        _capacity = capacity;
        _comparer = comparer;
    }

    /// <summary>How many entries are held (tests).</summary>
    public int Count => Volatile.Read(ref _entries)?.Count ?? 0;

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (Volatile.Read(ref _entries) is { } entries) return entries.TryGetValue(key, out value);
        value = default;
        return false;
    }

    /// <summary>Adds <paramref name="value"/> unless <paramref name="key"/> is held; with <paramref name="keep"/>, the one
    /// it returns of the held value and the new one (first argument held, second new) stays.</summary>
    public void Add(TKey key, TValue value, Func<TValue, TValue, TValue>? keep = null)
    {
        if (Interlocked.Increment(ref _adds) > _capacity)
        {
            // This addition is the new table's first.
            Volatile.Write(ref _adds, 1);
            Volatile.Write(ref _entries, new ConcurrentDictionary<TKey, TValue>(Environment.ProcessorCount * 4, _capacity, _comparer));
        }
        var entries = Volatile.Read(ref _entries) ?? First();
        if (keep is null)
        {
            entries.TryAdd(key, value);
        }
        else
        {
            entries.AddOrUpdate(key, static (_, arg) => arg.Value, static (_, held, arg) => arg.Keep(held, arg.Value), (Value: value, Keep: keep));
        }
    }

    /// <summary>The first table (a racing first addition may have made it).</summary>
    private ConcurrentDictionary<TKey, TValue> First()
    {
        var made = new ConcurrentDictionary<TKey, TValue>(_comparer);
        return Interlocked.CompareExchange(ref _entries, made, null) ?? made;
    }
}

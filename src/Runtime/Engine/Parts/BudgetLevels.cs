using System.Collections.Concurrent;

namespace GuardedAI.Engine;

/// <summary>
/// How close each budget is to its limits, as the last settlement saw it: per calendar limit, its percent of the limit and
/// when its window ends. The degradation steps read the highest of a budget's current windows. Kept per instance; with a
/// shared store the values are the shared counters' values that this instance's settlements returned.
/// </summary>
internal sealed class BudgetLevels
{
    // Keyed by a class, not a value tuple: a dictionary over reference types runs the framework's shared, ahead-of-time
    // compiled code, where one over a tuple with an enum in it is compiled just in time on a process's first call.
    private readonly ConcurrentDictionary<LimitKey, Reading> _readings = new();

    /// <summary>Records the percent of charge <paramref name="index"/> of <paramref name="set"/>. A shared set keeps the
    /// readings of its charges (one dictionary lookup per charge per window, not per call); a reading moves only when the
    /// percent changed by a thousandth of a point or more, so callers of a budget do not all write the same cache line on
    /// every settlement for a change no degradation step can see.</summary>
    public void Record(ChargeSet set, int index, double percent)
    {
        if (!set.IsShared)
        {
            Record(set.Charges[index], percent);
            return;
        }
        if (Volatile.Read(ref set.Readings) is not Bound bound || !ReferenceEquals(bound.Levels, this))
        {
            Record(set.Charges[index], percent);
            return;
        }
        if (bound.Readings[index] is not { } reading)
        {
            Record(set.Charges[index], percent);
            return;
        }
        if (Math.Abs(reading.Percent - percent) >= 0.001) reading.Percent = percent;
    }

    /// <summary>Keeps the readings of a shared set's charges on it (those the dictionary holds for the set's windows),
    /// once the first settlement with the set has recorded them.</summary>
    public void Bind(ChargeSet set)
    {
        if (!set.IsShared || Volatile.Read(ref set.Readings) is not null) return;
        var readings = new Reading?[set.Count];
        for (var i = 0; i < readings.Length; i++)
        {
            var charge = set.Charges[i];
            if (_readings.TryGetValue(LimitKey.Probe(charge.Key.Scope, charge.Key.Dimension, charge.Key.Window), out var held) && held.WindowEnd == charge.WindowEnd) readings[i] = held;
        }
        Interlocked.CompareExchange(ref set.Readings, new Bound(this, readings), null);
    }

    private sealed record Bound(BudgetLevels Levels, Reading?[] Readings);

    public void Record(in CounterCharge charge, double percent)
    {
        // The same window as the reading held (nearly every settlement): update its percent in place, allocating nothing.
        if (_readings.TryGetValue(LimitKey.Probe(charge.Key.Scope, charge.Key.Dimension, charge.Key.Window), out var held) && held.WindowEnd == charge.WindowEnd)
        {
            held.Percent = percent;
            return;
        }
        var reading = new Reading(percent, charge.WindowEnd);
        var key = new LimitKey(charge.Key.Scope, charge.Key.Dimension, charge.Key.Window);
        _readings.AddOrUpdate(key, static (_, fresh) => fresh, static (_, old, fresh) => old.WindowEnd > fresh.WindowEnd ? old : fresh, reading);
    }

    /// <summary>The highest percent of any of <paramref name="policy"/>'s calendar limits in its current window.</summary>
    public double HighestPercent(BudgetPolicy policy, DateTimeOffset now)
    {
        var highest = 0.0;
        // Indexed, not foreach: see Charges.Count.
        var limits = policy.Limits;
        for (var l = 0; l < limits.Length; l++)
        {
            var limit = limits[l];
            if (limit.Window.IsScope()) continue;
            if (_readings.TryGetValue(LimitKey.Probe(policy.Name, limit.Dimension, limit.Window), out var reading) && reading.WindowEnd > now && reading.Percent > highest)
            {
                highest = reading.Percent;
            }
        }
        return highest;
    }

    /// <summary>A scope's limit of one dimension and window kind; compared as the value tuple it replaces was.</summary>
    private sealed class LimitKey(string scope, BudgetDimension dimension, BudgetWindow window) : IEquatable<LimitKey>
    {
        // One per thread, refilled for each lookup, so a lookup allocates nothing; the table never keeps a probe.
        [ThreadStatic] private static LimitKey? t_probe;

        private string _scope = scope;
        private BudgetDimension _dimension = dimension;
        private BudgetWindow _window = window;

        public static LimitKey Probe(string scope, BudgetDimension dimension, BudgetWindow window)
        {
            var probe = t_probe ??= new LimitKey(scope, dimension, window);
            probe._scope = scope;
            probe._dimension = dimension;
            probe._window = window;
            return probe;
        }

        public bool Equals(LimitKey? other) =>
            other is not null && other._dimension == _dimension && other._window == _window && string.Equals(other._scope, _scope, StringComparison.Ordinal);

        public override bool Equals(object? obj) => Equals(obj as LimitKey);

        public override int GetHashCode() =>
            (int)((((uint)string.GetHashCode(_scope ?? "", StringComparison.Ordinal) * 31) ^ (uint)_dimension) * 31 ^ (uint)_window);
    }

    /// <summary>One window's reading; its window never changes, its percent is the last settlement's (a double is written atomically).</summary>
    private sealed class Reading(double percent, DateTimeOffset windowEnd)
    {
        private double _percent = percent;

        public double Percent
        {
            get => Volatile.Read(ref _percent);
            set => Volatile.Write(ref _percent, value);
        }

        public DateTimeOffset WindowEnd { get; } = windowEnd;
    }
}

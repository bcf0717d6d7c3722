using System.Collections.Concurrent;

namespace GuardedAI.Engine;

/// <summary>
/// How close each budget is to its limits, as the last settlement saw it: per calendar limit, its percent of the limit and
/// when its window ends. The degradation steps read the highest of a budget's current windows. Kept per instance; with a
/// shared store the values are the shared counters' values that this instance's settlements returned.
/// </summary>
internal sealed class BudgetLevels
{
    private readonly ConcurrentDictionary<(string Scope, BudgetDimension Dimension, BudgetWindow Window), Reading> _readings = new();

    public void Record(in CounterCharge charge, double percent)
    {
        var key = (charge.Key.Scope, charge.Key.Dimension, charge.Key.Window);
        // The same window as the reading held (nearly every settlement): update its percent in place, allocating nothing.
        if (_readings.TryGetValue(key, out var held) && held.WindowEnd == charge.WindowEnd)
        {
            held.Percent = percent;
            return;
        }
        var reading = new Reading(percent, charge.WindowEnd);
        _readings.AddOrUpdate(key, static (_, fresh) => fresh, static (_, old, fresh) => old.WindowEnd > fresh.WindowEnd ? old : fresh, reading);
    }

    /// <summary>The highest percent of any of <paramref name="policy"/>'s calendar limits in its current window.</summary>
    public double HighestPercent(BudgetPolicy policy, DateTimeOffset now)
    {
        var highest = 0.0;
        foreach (var limit in policy.Limits)
        {
            if (limit.Window.IsScope()) continue;
            if (_readings.TryGetValue((policy.Name, limit.Dimension, limit.Window), out var reading) && reading.WindowEnd > now && reading.Percent > highest)
            {
                highest = reading.Percent;
            }
        }
        return highest;
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

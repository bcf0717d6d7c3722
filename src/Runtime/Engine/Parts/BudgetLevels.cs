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
        var reading = new Reading(percent, charge.WindowEnd);
        _readings.AddOrUpdate(key, reading, (_, old) => old.WindowEnd > reading.WindowEnd ? old : reading);
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

    private sealed record Reading(double Percent, DateTimeOffset WindowEnd);
}

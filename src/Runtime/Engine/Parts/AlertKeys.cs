using System.Globalization;

namespace GuardedAI.Engine;

/// <summary>
/// The de-duplication keys of the threshold monitor's alerts, each built once. A budget past its warning level stays
/// there for hours, and every settlement in that time asks whether the warning is held: formatting its key each time
/// (a scope, two enums and a percentage through a <see cref="FormattableString"/>) cost ~1.3 µs and ~850 B a call with
/// two charges past a level (docs/benchmarks-history.md, fifth round). Bounded (<see cref="BoundedCache{TKey, TValue}"/>): a key
/// built again is the same text.
/// </summary>
internal sealed class AlertKeys
{
    private const int Capacity = 4096;

    private readonly BoundedCache<Parts, string> _keys = new(Capacity);

    /// <summary><c>scope|dimension|window|level@percent</c>: a threshold level of one counter.</summary>
    public string Level(in CounterKey counter, ThresholdLevel level) =>
        Get(new Parts(counter.Scope, counter.Dimension, counter.Window, KeyKind.Level, level.Level, level.Percent, null));

    /// <summary><c>scope|dimension|window|soft</c>: a soft limit of one counter.</summary>
    public string Soft(in CounterKey counter) =>
        Get(new Parts(counter.Scope, counter.Dimension, counter.Window, KeyKind.Soft, default, 0, null));

    /// <summary><c>scope|dimension|window|projected</c>: one counter projected to reach its limit.</summary>
    public string Projected(in CounterKey counter) =>
        Get(new Parts(counter.Scope, counter.Dimension, counter.Window, KeyKind.Projected, default, 0, null));

    /// <summary><c>scope|over-report|model</c>: a provider reporting more than was reserved.</summary>
    public string OverReport(string scope, string model) =>
        Get(new Parts(scope, default, default, KeyKind.OverReport, default, 0, model));

    private string Get(in Parts parts)
    {
        if (_keys.TryGetValue(parts, out var key)) return key;
        key = parts.Format();
        _keys.Add(parts, key);
        return key;
    }

    private enum KeyKind : byte { Level, Soft, Projected, OverReport }

    private readonly record struct Parts(string Scope, BudgetDimension Dimension, BudgetWindow Window, KeyKind Kind, AlertLevel Level, double Percent, string? Model)
    {
        public string Format() => Kind switch
        {
            KeyKind.Level => string.Create(CultureInfo.InvariantCulture, $"{Scope}|{Dimension}|{Window}|{Level}@{Percent}"),
            KeyKind.Soft => string.Create(CultureInfo.InvariantCulture, $"{Scope}|{Dimension}|{Window}|soft"),
            KeyKind.Projected => string.Create(CultureInfo.InvariantCulture, $"{Scope}|{Dimension}|{Window}|projected"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{Scope}|over-report|{Model}"),
        };
    }
}

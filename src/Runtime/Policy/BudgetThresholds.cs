using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace GuardedAI;

/// <summary>
/// When a budget alerts: percentages of each limit at which alerts fire and the breaker opens, any number of further
/// alert levels, and soft limits that only alert. Each level fires once per window (see <c>docs/alerts.md</c>).
/// </summary>
/// <param name="WarnAtPercent">Warning alert (default 70).</param>
/// <param name="CriticalAtPercent">Critical alert (default 90).</param>
/// <param name="TripAtPercent">Emergency alert and the circuit breaker opens (default 95).</param>
public sealed record BudgetThresholds(
    double WarnAtPercent = Tiers.TierTable.DefaultWarnAtPercent,
    double CriticalAtPercent = Tiers.TierTable.DefaultCriticalAtPercent,
    double TripAtPercent = Tiers.TierTable.DefaultTripAtPercent)
{
    private ImmutableArray<double> _alertAtPercents = [];
    private ImmutableArray<BudgetLimit> _softLimits = [];
    // Cached with the values it was computed from: `with` copies fields, so a copy with other thresholds must not reuse it.
    private LevelCache? _levels;

    /// <summary>The defaults: 70 / 90 / 95, no further levels, no soft limits.</summary>
    public static BudgetThresholds Default { get; } = new();

    /// <summary>
    /// Further alert levels in percent of each limit (e.g. 50 and 80), beside warn, critical and trip. A level below
    /// the critical threshold alerts as <see cref="AlertLevel.Warning"/>, one from critical up to trip as
    /// <see cref="AlertLevel.Critical"/>, one at or above trip as <see cref="AlertLevel.Emergency"/>.
    /// </summary>
    public ImmutableArray<double> AlertAtPercents
    {
        get => _alertAtPercents;
        init => _alertAtPercents = value.IsDefault ? [] : value;
    }

    /// <summary>
    /// Limits that only alert: reaching one sends a warning naming it (once per window), and no call is ever denied
    /// for it. A soft limit needs no hard limit beside it (its usage is counted either way); when there is one for the
    /// same dimension and window, the soft one must be lower.
    /// </summary>
    public ImmutableArray<BudgetLimit> SoftLimits
    {
        get => _softLimits;
        init => _softLimits = value.IsDefault ? [] : value;
    }

    /// <summary>Every alert level, lowest first: warn, critical, trip and <see cref="AlertAtPercents"/>, each with the level it alerts as.</summary>
    public IReadOnlyList<ThresholdLevel> Levels => LevelArray;

    /// <summary><see cref="Levels"/> as the array the engine indexes on every settlement (an interface over an array of
    /// structs is another generic method for the JIT on a process's first call).</summary>
    internal ThresholdLevel[] LevelArray
    {
        get
        {
            var cache = _levels;
            if (cache is null || !cache.Matches(this)) _levels = cache = new LevelCache(this);
            return cache.Levels;
        }
    }

    /// <summary>The level an alert at <paramref name="percent"/> of a limit fires as.</summary>
    public AlertLevel LevelAt(double percent) =>
        percent >= TripAtPercent ? AlertLevel.Emergency : percent >= CriticalAtPercent ? AlertLevel.Critical : AlertLevel.Warning;

    /// <summary>Throws <see cref="BudgetPolicyException"/> unless <c>0 &lt; warn &lt; critical &lt;= trip &lt;= 100</c>,
    /// every further level is in (0, 100] and every soft limit is positive.</summary>
    public void Validate(string policyName) => Validate(policyName, []);

    internal void Validate(string policyName, ImmutableArray<BudgetLimit> hardLimits)
    {
        if (!(WarnAtPercent > 0 && WarnAtPercent < CriticalAtPercent && CriticalAtPercent <= TripAtPercent && TripAtPercent <= 100))
        {
            throw new BudgetPolicyException(policyName,
                $"thresholds must satisfy 0 < warn < critical <= trip <= 100, but warn = {WarnAtPercent}, critical = {CriticalAtPercent}, trip = {TripAtPercent}");
        }
        // Indexed, not foreach: ImmutableArray's enumerator is compiled just in time on a process's first call (see Charges.Count).
        var percents = AlertAtPercents;
        for (var p = 0; p < percents.Length; p++)
        {
            var percent = percents[p];
            if (!(percent > 0 && percent <= 100))
                throw new BudgetPolicyException(policyName, string.Create(CultureInfo.InvariantCulture, $"alert levels must be in (0, 100] percent, but one is {percent}"));
        }
        if (SoftLimits.Length == 0) return; // most policies have none: no set of tuples to build (start-up code); never default (see init)
        var seen = new HashSet<(BudgetDimension, BudgetWindow)>();
        foreach (var soft in SoftLimits)
        {
            var what = $"the soft {soft.Window.Describe()} {soft.Dimension.Describe()} limit";
            if (!seen.Add((soft.Dimension, soft.Window))) throw new BudgetPolicyException(policyName, $"{what} is set twice");
            if (soft.Amount <= 0) throw new BudgetPolicyException(policyName, $"{what} must be positive, but is {soft.Dimension.Format(soft.Amount)}");
            if (soft.Dimension != BudgetDimension.CostUsd && soft.Amount != decimal.Truncate(soft.Amount))
                throw new BudgetPolicyException(policyName, $"{what} must be a whole number, but is {soft.Amount}");
            foreach (var hard in hardLimits)
            {
                if (hard.Dimension == soft.Dimension && hard.Window == soft.Window && soft.Amount >= hard.Amount)
                {
                    throw new BudgetPolicyException(policyName,
                        $"{what} ({soft.Dimension.Format(soft.Amount)}) is not below the hard limit ({hard.Dimension.Format(hard.Amount)}), so it could never alert before a call is denied");
                }
            }
        }
    }

    /// <inheritdoc/>
    public bool Equals(BudgetThresholds? other) =>
        other is not null && WarnAtPercent.Equals(other.WarnAtPercent) && CriticalAtPercent.Equals(other.CriticalAtPercent)
        && TripAtPercent.Equals(other.TripAtPercent) && AlertAtPercents.SequenceEqual(other.AlertAtPercents) && SoftLimits.SequenceEqual(other.SoftLimits);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(WarnAtPercent, CriticalAtPercent, TripAtPercent, AlertAtPercents.Length, SoftLimits.Length);

    private sealed class LevelCache(BudgetThresholds source)
    {
        private readonly double _warn = source.WarnAtPercent, _critical = source.CriticalAtPercent, _trip = source.TripAtPercent;
        // The further levels' array itself: the same instance means the same levels (as ImmutableArray's == compares).
        private readonly double[] _extra = ImmutableCollectionsMarshal.AsArray(source.AlertAtPercents)!;

        public ThresholdLevel[] Levels { get; } = Build(source);

        /// <summary>Distinct, lowest first. Loops of our own rather than LINQ, <c>Array.Sort</c> or <c>Array.Resize</c>:
        /// built on a process's first call, where each framework generic over these types is another method for the JIT
        /// (LINQ here was about 100 ms of the first call, sampled; the sort and resize a dozen methods), and a handful of
        /// levels needs no better sort than insertion.</summary>
        private static ThresholdLevel[] Build(BudgetThresholds source)
        {
            var extra = ImmutableCollectionsMarshal.AsArray(source.AlertAtPercents)!;
            var percents = new double[extra.Length + 3];
            for (var i = 0; i < extra.Length; i++) percents[i] = extra[i];
            percents[^3] = source.WarnAtPercent;
            percents[^2] = source.CriticalAtPercent;
            percents[^1] = source.TripAtPercent;
            for (var i = 1; i < percents.Length; i++)
            {
                var percent = percents[i];
                var j = i - 1;
                for (; j >= 0 && percents[j].CompareTo(percent) > 0; j--) percents[j + 1] = percents[j];
                percents[j + 1] = percent;
            }
            var distinct = 0;
            for (var i = 0; i < percents.Length; i++)
            {
                if (i == 0 || !percents[i].Equals(percents[i - 1])) percents[distinct++] = percents[i];
            }
            var levels = new ThresholdLevel[distinct];
            for (var i = 0; i < distinct; i++) levels[i] = new ThresholdLevel(percents[i], source.LevelAt(percents[i]));
            return levels;
        }

        public bool Matches(BudgetThresholds t) =>
            t.WarnAtPercent.Equals(_warn) && t.CriticalAtPercent.Equals(_critical) && t.TripAtPercent.Equals(_trip)
            && ReferenceEquals(ImmutableCollectionsMarshal.AsArray(t.AlertAtPercents), _extra);
    }
}

/// <summary>One alert level of a budget: at <see cref="Percent"/> of a limit, an alert of <see cref="Level"/>.</summary>
/// <param name="Percent">Percent of the limit.</param>
/// <param name="Level">The alert's level.</param>
public readonly record struct ThresholdLevel(double Percent, AlertLevel Level);

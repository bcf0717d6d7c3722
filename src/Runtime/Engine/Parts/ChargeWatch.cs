namespace GuardedAI.Engine;

/// <summary>
/// What the threshold monitor works out once for a shared charge set and the policies that judge it: for each charge,
/// the counter value below which a settlement cannot fire anything (no alert level, no projection, no soft limit), and
/// whether its percent is recorded for the degradation steps. A settlement whose counters are all below their marks
/// (nearly every one) then makes one integer comparison per counter instead of choosing its judge, reading the policy's
/// levels and soft limits, and comparing a percent.
/// </summary>
/// <remarks>
/// A shared set's charges, limits and windows never change, nor do a policy's thresholds or an engine's alert settings,
/// so a watch stays right for as long as the same monitor settles the set with the same policies; any other combination
/// takes the monitor's full look (<see cref="Matches"/>). A mark errs low: a value at or above it gets the full look,
/// which decides exactly as before.
/// </remarks>
internal sealed class ChargeWatch(ThresholdMonitor owner, BudgetPolicy policy, BudgetPolicy? tenant, BudgetPolicy? companion, long[] quietBelow, bool[] recordsLevel)
{
    /// <summary>Per charge: a settled value below this fires nothing (<see cref="long.MaxValue"/>: nothing ever fires).</summary>
    public long[] QuietBelow { get; } = quietBelow;

    /// <summary>Per charge: whether its percent of the limit is recorded (a calendar window with a limit).</summary>
    public bool[] RecordsLevel { get; } = recordsLevel;

    /// <summary>Whether this watch was worked out by <paramref name="monitor"/> for these policies.</summary>
    public bool Matches(ThresholdMonitor monitor, BudgetPolicy budget, BudgetPolicy? tenantPolicy, BudgetPolicy? companionPolicy) =>
        ReferenceEquals(owner, monitor) && ReferenceEquals(policy, budget) && ReferenceEquals(tenant, tenantPolicy) && ReferenceEquals(companion, companionPolicy);

    /// <param name="owner">The monitor.</param>
    /// <param name="charges">The shared set's charges.</param>
    /// <param name="policy">The budget, judge of every charge that is not the tenant's or the companion's.</param>
    /// <param name="tenant">The tenant's policy, if any.</param>
    /// <param name="companion">The shadow companion, if any.</param>
    /// <param name="projectFromPercent">The percent of a limit below which no projection can fire, whatever the time.</param>
    public static ChargeWatch For(ThresholdMonitor owner, CounterCharge[] charges, BudgetPolicy policy, BudgetPolicy? tenant, BudgetPolicy? companion, double projectFromPercent)
    {
        var quietBelow = new long[charges.Length];
        var recordsLevel = new bool[charges.Length];
        for (var i = 0; i < charges.Length; i++)
        {
            ref readonly var charge = ref charges[i];
            if (charge.Key.Window.IsScope())
            {
                quietBelow[i] = long.MaxValue;
                continue;
            }
            var judge = ThresholdMonitor.JudgeOf(charge, policy, tenant, companion);
            var mark = long.MaxValue;
            if (ThresholdMonitor.HasLimit(charge))
            {
                recordsLevel[i] = true;
                mark = Below(Math.Min(ThresholdMonitor.LowestLevelPercent(judge.Thresholds), projectFromPercent), charge.Limit);
            }
            var softLimits = judge.Thresholds.SoftLimits;
            for (var s = 0; s < softLimits.Length; s++)
            {
                var soft = softLimits[s];
                if (soft.Dimension == charge.Key.Dimension && soft.Window == charge.Key.Window) mark = Math.Min(mark, BudgetUnits.ToUnits(soft.Dimension, soft.Amount));
            }
            quietBelow[i] = mark;
        }
        return new ChargeWatch(owner, policy, tenant, companion, quietBelow, recordsLevel);
    }

    /// <summary>
    /// A value below which <c>value × 100.0 / limit</c> stays below <paramref name="percent"/>: the exact bound lowered by a
    /// billionth of itself, far more than a double's rounding of the percent can move, so a value the monitor's own
    /// comparison would let through is never taken as quiet. Infinity (no level) gives <see cref="long.MaxValue"/>.
    /// </summary>
    internal static long Below(double percent, long limit)
    {
        if (double.IsPositiveInfinity(percent)) return long.MaxValue;
        var bound = percent * limit / 100 * (1 - 1e-9);
        return bound <= 0 ? 0 : bound >= long.MaxValue ? long.MaxValue : (long)bound;
    }
}

namespace GuardedAI;

/// <summary>
/// Counters are 64-bit integers so that every store can update them atomically: requests and tokens count
/// themselves, cost counts nano-dollars (10⁻⁹ USD; a long holds about 9.2 billion dollars of them).
/// Costs are rounded up, so rounding can only make a budget stricter.
/// </summary>
internal static class BudgetUnits
{
    /// <summary>Nano-dollars per dollar.</summary>
    public const decimal NanoDollarsPerDollar = 1_000_000_000m;

    /// <summary>The counter units of <paramref name="amount"/>.</summary>
    public static long ToUnits(BudgetDimension dimension, decimal amount) => dimension == BudgetDimension.CostUsd
        ? ExactDecimal.TryNanoUnits(amount, out var units) ? units : NanoUnitsInDecimal(amount)
        : (long)decimal.Ceiling(amount);

    /// <summary>Nano-dollars in decimal arithmetic: the definition <see cref="ExactDecimal.TryNanoUnits"/> reproduces in integers.</summary>
    internal static long NanoUnitsInDecimal(decimal amount) => (long)decimal.Ceiling(amount * NanoDollarsPerDollar);

    /// <summary>The amount of <paramref name="units"/> counter units.</summary>
    public static decimal FromUnits(BudgetDimension dimension, long units) => dimension == BudgetDimension.CostUsd
        ? units / NanoDollarsPerDollar
        : units;
}

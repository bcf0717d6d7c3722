namespace GuardedAI;

/// <summary>Percentages of a limit at which alerts fire and the breaker opens.</summary>
/// <param name="WarnAtPercent">Warning alert (default 70).</param>
/// <param name="CriticalAtPercent">Critical alert (default 90).</param>
/// <param name="TripAtPercent">Emergency alert and the circuit breaker opens (default 95).</param>
public sealed record BudgetThresholds(
    double WarnAtPercent = Tiers.TierTable.DefaultWarnAtPercent,
    double CriticalAtPercent = Tiers.TierTable.DefaultCriticalAtPercent,
    double TripAtPercent = Tiers.TierTable.DefaultTripAtPercent)
{
    /// <summary>The defaults: 70 / 90 / 95.</summary>
    public static BudgetThresholds Default { get; } = new();

    /// <summary>Throws <see cref="BudgetPolicyException"/> unless <c>0 &lt; warn &lt; critical &lt;= trip &lt;= 100</c>.</summary>
    public void Validate(string policyName)
    {
        if (!(WarnAtPercent > 0 && WarnAtPercent < CriticalAtPercent && CriticalAtPercent <= TripAtPercent && TripAtPercent <= 100))
        {
            throw new BudgetPolicyException(policyName,
                $"thresholds must satisfy 0 < warn < critical <= trip <= 100, but warn = {WarnAtPercent}, critical = {CriticalAtPercent}, trip = {TripAtPercent}");
        }
    }
}

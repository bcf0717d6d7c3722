using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// What a call is counted with when the provider answered but GuardedAI could not read what it used: counting the
/// answer failed (a vocabulary that failed to load fails every count). The usage happened, so the call is never left
/// unsettled (its lease would run out and give the usage back to the budget), and never counted below what it
/// reserved or below what the provider reported, side by side.
/// </summary>
internal static class UnreadUsage
{
    /// <summary>Each side's larger of what was reserved and what the provider reported (when it reported anything).</summary>
    public static TokenUsage Of(in UsageEstimate reserved, UsageDetails? reported) => new(
        Math.Max(reserved.InputTokens, reported?.InputTokenCount ?? 0),
        Math.Max(reserved.OutputTokens, reported?.OutputTokenCount ?? 0));

    /// <summary>The reason the usage record gives.</summary>
    public static string Reason(Exception error) =>
        $"the provider answered, but GuardedAI could not read what the call used ({GuardedCall.Describe(error)}); everything reserved is counted, or what the provider reported where that is more";
}

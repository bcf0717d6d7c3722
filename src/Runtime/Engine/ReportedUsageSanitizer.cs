using System.Globalization;
using System.Runtime.CompilerServices;

namespace GuardedAI;

/// <summary>
/// Distrusts the usage a call settles with. A provider's report (or a misbehaving proxy's) can be negative, absurd or
/// inconsistent; left alone it would lower counters (−50,000 input tokens once set a 10,000-token counter to −49,990)
/// or overflow them. The usage that counts is never negative, never above <see cref="MaxPlausibleTokens"/> per
/// count, never below what GuardedAI counted of the response, has cached ≤ input and reasoning ≤ output (by raising
/// input and output, never by lowering what the provider said was used), and input + output at least the reported
/// total. Every correction, and any usage above the reservation, is an <see cref="UsageAnomaly"/>: recorded with what
/// the provider said and alerted. (Usage above the reservation matters only in a dimension the budget limits: that
/// is the one way a counter can pass its limit.)
/// </summary>
internal static class ReportedUsageSanitizer
{
    /// <summary>No call is counted above this many tokens per count (input, output, …): ten times the largest
    /// context window offered today, and small enough that no cost or counter arithmetic can overflow.</summary>
    public const long MaxPlausibleTokens = 100_000_000;

    /// <summary>The usage to count for a call that reserved <paramref name="reserved"/> and reported <paramref name="claimed"/>.</summary>
    /// <param name="claimed">What the provider reported (or, when <paramref name="reportedByProvider"/> is false, what GuardedAI counted).</param>
    /// <param name="reportedByProvider">Whether <paramref name="claimed"/> came from the provider.</param>
    /// <param name="reserved">The call's reservation.</param>
    /// <param name="limited">The dimensions the call's budgets limit (the reservation's charges).</param>
    /// <param name="price">Prices usage of a model (the engine's pricing: unknown models at the default price, alerted).</param>
    public static SettledUsage Sanitize(TokenUsage claimed, bool reportedByProvider, UsageEstimate reserved, CounterReservation limited, Func<string?, TokenUsage, decimal> price)
    {
        // Nearly every report is sound, and a few comparisons say so. The corrections and their messages live in methods
        // of their own: inlined here, their interpolated strings made this method 11 KB of code with a frame to clear on
        // every call (~10 % of a reserve + commit). Allocated only when something is wrong.
        List<UsageAnomaly>? anomalies = null;
        var usage = IsSound(claimed)
            ? new TokenUsage(claimed.InputTokens, claimed.OutputTokens, claimed.CachedInputTokens, claimed.CacheWriteInputTokens, claimed.ReasoningTokens)
            : Correct(claimed, ref anomalies);
        var cost = usage.TotalTokens == 0 ? 0m : price(reserved.Model, usage);
        if (IsAboveReservation(usage, cost, reserved, limited)) AddAboveReservation(usage, cost, reserved, ref anomalies);
        return new SettledUsage(usage, cost, reportedByProvider ? claimed : null, anomalies ?? (IReadOnlyList<UsageAnomaly>)[]);
    }

    /// <summary>Whether <see cref="Correct"/> would change nothing: every count plausible, the parts consistent.</summary>
    private static bool IsSound(in TokenUsage claimed) =>
        (ulong)claimed.InputTokens <= MaxPlausibleTokens && (ulong)claimed.OutputTokens <= MaxPlausibleTokens
        && (ulong)claimed.CachedInputTokens <= MaxPlausibleTokens && (ulong)claimed.CacheWriteInputTokens <= MaxPlausibleTokens
        && (ulong)claimed.ReasoningTokens <= MaxPlausibleTokens
        && claimed.CachedInputTokens + claimed.CacheWriteInputTokens <= claimed.InputTokens
        && claimed.ReasoningTokens <= claimed.OutputTokens
        && claimed.CountedOutputTokens <= claimed.OutputTokens
        && (claimed.ReportedTotalTokens is not { } total || total == claimed.InputTokens + claimed.OutputTokens);

    /// <summary>The usage that counts for an unsound report, with an anomaly for each correction.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TokenUsage Correct(in TokenUsage claimed, ref List<UsageAnomaly>? anomalies)
    {
        var input = Plausible(claimed.InputTokens, "input tokens", ref anomalies);
        var output = Plausible(claimed.OutputTokens, "output tokens", ref anomalies);
        var cached = Plausible(claimed.CachedInputTokens, "cached input tokens", ref anomalies);
        var cacheWrite = Plausible(claimed.CacheWriteInputTokens, "cache-write input tokens", ref anomalies);
        var reasoning = Plausible(claimed.ReasoningTokens, "reasoning tokens", ref anomalies);

        if (cached + cacheWrite > input)
        {
            (anomalies ??= []).Add(new(UsageAnomalyKind.CachedAboveInput, Say($"{cached:#,0} cached and {cacheWrite:#,0} cache-written input tokens but {input:#,0} input tokens; input counted as {cached + cacheWrite:#,0}")));
            input = Math.Min(MaxPlausibleTokens, cached + cacheWrite);
            cacheWrite = Math.Min(cacheWrite, input - cached);
        }
        if (reasoning > output)
        {
            (anomalies ??= []).Add(new(UsageAnomalyKind.ReasoningAboveOutput, Say($"{reasoning:#,0} reasoning tokens but {output:#,0} output tokens; output counted as {reasoning:#,0}")));
            output = reasoning;
        }
        if (claimed.CountedOutputTokens > output)
        {
            var counted = Math.Min(MaxPlausibleTokens, claimed.CountedOutputTokens);
            (anomalies ??= []).Add(new(UsageAnomalyKind.BelowCountedOutput, Say($"{output:#,0} output tokens reported but GuardedAI counted {counted:#,0} in the response; {counted:#,0} counted")));
            output = counted;
        }
        if (claimed.ReportedTotalTokens is { } total && total != input + output)
        {
            var plausibleTotal = Math.Clamp(total, 0, 2 * MaxPlausibleTokens);
            if (plausibleTotal > input + output)
            {
                // The parts do not add up to the total: the difference is counted as output, the dearer side.
                (anomalies ??= []).Add(new(UsageAnomalyKind.TotalMismatch, Say($"total reported as {total:#,0} but input + output is {input + output:#,0}; the {plausibleTotal - input - output:#,0} missing tokens counted as output")));
                output = Math.Min(MaxPlausibleTokens, plausibleTotal - input);
            }
            else
            {
                (anomalies ??= []).Add(new(UsageAnomalyKind.TotalMismatch, Say($"total reported as {total:#,0} but input + output is {input + output:#,0}; input + output counted")));
            }
        }
        return new TokenUsage(input, output, cached, cacheWrite, reasoning);
    }

    /// <summary>Whether the call used more than it reserved in a dimension its budgets limit.</summary>
    private static bool IsAboveReservation(in TokenUsage usage, decimal cost, in UsageEstimate reserved, CounterReservation limited)
    {
        var charges = limited.Set.Charges;
        for (var i = 0; i < limited.Count; i++)
        {
            var over = charges[i].Key.Dimension switch
            {
                BudgetDimension.InputTokens => usage.InputTokens > reserved.InputTokens,
                BudgetDimension.OutputTokens => usage.OutputTokens > reserved.OutputTokens,
                BudgetDimension.TotalTokens => usage.InputTokens + usage.OutputTokens > reserved.InputTokens + reserved.OutputTokens,
                BudgetDimension.CostUsd => cost > reserved.CostUsd,
                _ => false,
            };
            if (over) return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddAboveReservation(in TokenUsage usage, decimal cost, in UsageEstimate reserved, ref List<UsageAnomaly>? anomalies) =>
        (anomalies ??= []).Add(new(UsageAnomalyKind.AboveReservation, Say(
            $"used {usage.InputTokens:#,0} input and {usage.OutputTokens:#,0} output tokens costing {BudgetDimension.CostUsd.Format(cost)}; {reserved.InputTokens:#,0} input and {reserved.OutputTokens:#,0} output tokens costing {BudgetDimension.CostUsd.Format(reserved.CostUsd)} were reserved")));

    private static long Plausible(long value, string what, ref List<UsageAnomaly>? anomalies)
    {
        if (value < 0)
        {
            (anomalies ??= []).Add(new(UsageAnomalyKind.NegativeCount, Say($"{what} reported as {value:#,0}; counted as 0")));
            return 0;
        }
        if (value > MaxPlausibleTokens)
        {
            (anomalies ??= []).Add(new(UsageAnomalyKind.ImplausibleCount, Say($"{what} reported as {value:#,0}; counted as {MaxPlausibleTokens:#,0}")));
            return MaxPlausibleTokens;
        }
        return value;
    }

    private static string Say(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The usage a call is counted with, its cost, what the provider said, and what was wrong with it.</summary>
/// <param name="Usage">What counts: never negative, plausible, consistent.</param>
/// <param name="CostUsd">Its price.</param>
/// <param name="Reported">The provider's report as it came, or null when GuardedAI counted the usage itself.</param>
/// <param name="Anomalies">Corrections and overruns, empty when the report was sound.</param>
internal readonly record struct SettledUsage(TokenUsage Usage, decimal CostUsd, TokenUsage? Reported, IReadOnlyList<UsageAnomaly> Anomalies)
{
    /// <summary>The anomalies as the record stores them, or null when there were none.</summary>
    public string? Describe() => Anomalies.Count == 0 ? null : string.Join("; ", Anomalies.Select(a => a.Description));

    /// <summary>Publishes one <see cref="AlertLevel.UsageAnomaly"/> alert for the call's corrected report, at most once an hour
    /// per budget and kind of anomaly. A call whose provider merely reported more than was reserved is the threshold
    /// monitor's <see cref="AlertLevel.ProviderOverReport"/>, not repeated here; an overrun GuardedAI counted itself is.</summary>
    public void Alert(AlertDispatcher alerts, in UsageValues record, DateTimeOffset now)
    {
        // The lambdas below capture the record: kept in their own method, so a sound report (nearly every call) does not
        // allocate their closure, nor a record object, on entry.
        if (Anomalies.Count > 0) AlertAnomalies(alerts, record.ToRecord(), now);
    }

    private void AlertAnomalies(AlertDispatcher alerts, UsageRecord record, DateTimeOffset now)
    {
        if (!Anomalies.Any(a => a.Kind != UsageAnomalyKind.AboveReservation || !record.UsageReported)) return;
        var hourStart = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        var kinds = string.Join(",", Anomalies.Where(a => a.Kind != UsageAnomalyKind.AboveReservation || !record.UsageReported).Select(a => a.Kind).Distinct().Order());
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Budget '{record.Budget}': the usage of call {record.Id} ({record.Model ?? "default model"}{(record.Provider is null ? "" : ", " + record.Provider)}) was corrected or ran over its reservation: {record.Anomalies}. The call was counted with {Usage.InputTokens:#,0} input and {Usage.OutputTokens:#,0} output tokens ({BudgetDimension.CostUsd.Format(CostUsd)}); the ledger keeps what the provider said.");
        // Keyed like threshold alerts (…|windowEndTicks last) so the engine forgets the key when the hour is over.
        alerts.Publish(new BudgetAlert(AlertLevel.UsageAnomaly, record.Budget, null, null, 0, 0, 0, message, now),
            AlertDedup.Windowed(string.Create(CultureInfo.InvariantCulture, $"{record.Budget}|usage-anomaly|{kinds}|{hourStart.UtcTicks}"), hourStart + TimeSpan.FromHours(1)));
    }
}

namespace GuardedAI;

/// <summary>Where one limit is heading by the end of its window, at the pace of the window so far.</summary>
/// <param name="Usage">The limit and its usage now.</param>
/// <param name="ProjectedAtWindowEnd">Usage at the end of the window if the pace so far continues.</param>
/// <param name="ExhaustedAt">When the limit runs out at that pace, if before the window ends.</param>
public readonly record struct LimitForecast(LimitUsage Usage, decimal ProjectedAtWindowEnd, DateTimeOffset? ExhaustedAt)
{
    /// <summary>The projection as a percentage of the limit.</summary>
    public double ProjectedPercent => Usage.Limit.Amount == 0 ? 0 : (double)(ProjectedAtWindowEnd / Usage.Limit.Amount * 100m);

    /// <summary>Whether the limit will run out before its window ends at the current pace.</summary>
    public bool WillBeExhausted => ExhaustedAt is not null;
}

/// <summary>
/// Linear forecasts: usage so far in a window divided by the time elapsed gives the pace; the pace times the
/// window's length gives the projection. Simple on purpose: it is what a person would compute, it needs no
/// history, and it answers "will we run out before the reset, and when".
/// </summary>
public static class BudgetForecast
{
    /// <summary>Forecasts every limit of <paramref name="policy"/> at the engine's current time.</summary>
    public static async ValueTask<IReadOnlyList<LimitForecast>> ForecastAsync(this BudgetEngine engine, BudgetPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var now = engine.TimeProvider.GetUtcNow();
        var usage = await engine.GetUsageAsync(policy, cancellationToken).ConfigureAwait(false);
        return usage.Select(u => Project(u, now)).ToList();
    }

    /// <summary>Projects one limit's usage to the end of its window.</summary>
    public static LimitForecast Project(LimitUsage usage, DateTimeOffset now)
    {
        var elapsed = (decimal)(now - usage.WindowStart).TotalSeconds;
        var length = (decimal)(usage.WindowEnd - usage.WindowStart).TotalSeconds;
        if (elapsed <= 0 || usage.Used <= 0) return new LimitForecast(usage, usage.Used, null);

        var pace = usage.Used / elapsed; // per second
        var projected = Math.Round(pace * length, 9);
        DateTimeOffset? exhausted = null;
        if (projected > usage.Limit.Amount)
        {
            var secondsLeft = (usage.Limit.Amount - usage.Used) / pace;
            exhausted = secondsLeft <= 0 ? now : now.AddSeconds((double)secondsLeft);
        }
        return new LimitForecast(usage, projected, exhausted);
    }
}

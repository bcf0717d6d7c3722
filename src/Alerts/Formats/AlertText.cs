using System.Globalization;

namespace GuardedAI.Alerts;

/// <summary>The words every channel uses for an alert: a title, the facts (limit, usage, reset, projection) and the advice.</summary>
internal static class AlertText
{
    public static string Title(BudgetAlert alert) => alert.Level switch
    {
        AlertLevel.Digest => $"GuardedAI digest: {alert.Items.Count} alert(s)",
        AlertLevel.UnknownModelPrice => $"GuardedAI {Describe(alert.Level)}: model '{alert.Scope}'",
        AlertLevel.StoreUnavailable or AlertLevel.StoreRecovered => $"GuardedAI {Describe(alert.Level)}",
        AlertLevel.AlertSinkFailing or AlertLevel.AlertSinkRecovered => $"GuardedAI {Describe(alert.Level)}: channel '{alert.Scope}'",
        _ => $"GuardedAI {Describe(alert.Level)}: budget '{alert.Scope}'",
    };

    public static string Describe(AlertLevel level) => level switch
    {
        AlertLevel.Warning => "warning",
        AlertLevel.Critical => "critical",
        AlertLevel.Emergency => "emergency",
        AlertLevel.BreakerOpened => "circuit breaker opened",
        AlertLevel.BreakerClosed => "circuit breaker closed",
        AlertLevel.StoreUnavailable => "budget store down",
        AlertLevel.StoreRecovered => "budget store back",
        AlertLevel.UnknownModelPrice => "unknown model price",
        AlertLevel.ProjectedToExceed => "projected to exceed",
        AlertLevel.SpendAnomaly => "spend anomaly",
        AlertLevel.ProviderOverReport => "provider over-reported usage",
        AlertLevel.Digest => "digest",
        AlertLevel.AlertSinkFailing => "alert channel failing",
        AlertLevel.AlertSinkRecovered => "alert channel delivers again",
        _ => level.ToString(),
    };

    /// <summary>Name/value facts in display order; only those the alert has.</summary>
    public static IReadOnlyList<(string Name, string Value)> Facts(BudgetAlert alert)
    {
        var facts = new List<(string, string)>();
        if (alert.Dimension is { } dimension && alert.Window is { } window)
        {
            var limitName = $"{window.Describe()} {dimension.Describe()}" + (alert.IsSoftLimit ? " (soft limit)" : alert.Level == AlertLevel.SpendAnomaly ? " (this hour vs. baseline)" : "");
            facts.Add(("Limit", limitName));
            facts.Add((alert.Level == AlertLevel.SpendAnomaly ? "Spend / baseline" : "Used / limit",
                Invariant($"{dimension.Format(alert.Used)} of {dimension.Format(alert.Limit)} ({alert.Percent:0.#}%)")));
        }
        if (alert.ThresholdPercent is { } threshold) facts.Add(("Threshold", Invariant($"{threshold:0.#}%")));
        if (alert.WindowEnd is { } end) facts.Add((alert.Level == AlertLevel.BreakerOpened ? "Open until" : "Window resets", Time(end)));
        if (alert.ProjectedExhaustion is { } exhaustion) facts.Add(("Projected exhaustion", Time(exhaustion)));
        facts.Add(("Level", alert.Level.ToString()));
        facts.Add(("Time", Time(alert.Timestamp)));
        return facts;
    }

    /// <summary>The whole alert as plain text (e-mail, fallbacks).</summary>
    public static string PlainText(BudgetAlert alert)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(alert.Message).AppendLine();
        foreach (var (name, value) in Facts(alert)) text.Append(name).Append(": ").AppendLine(value);
        if (alert.Advice is { } advice) text.AppendLine().Append("What to do: ").AppendLine(advice);
        foreach (var item in alert.Items) text.AppendLine().Append("- ").AppendLine(item.Message);
        text.AppendLine().Append("Alert id: ").AppendLine(alert.Id);
        return text.ToString();
    }

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters, marking the cut.</summary>
    public static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

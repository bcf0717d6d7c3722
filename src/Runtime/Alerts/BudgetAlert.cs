namespace GuardedAI;

/// <summary>What an alert reports.</summary>
public enum AlertLevel
{
    /// <summary>Usage crossed a warning threshold (default 70%; any level below the critical threshold).</summary>
    Warning,
    /// <summary>Usage crossed the critical threshold (default 90%; any level from critical up to the trip threshold).</summary>
    Critical,
    /// <summary>Usage crossed the trip threshold (default 95%); the breaker opens.</summary>
    Emergency,
    /// <summary>A circuit breaker opened (failures, by hand, or a trip).</summary>
    BreakerOpened,
    /// <summary>A circuit breaker closed again.</summary>
    BreakerClosed,
    /// <summary>The counter store cannot be reached.</summary>
    StoreUnavailable,
    /// <summary>The counter store is reachable again.</summary>
    StoreRecovered,
    /// <summary>A model was priced with the default price because the catalogue does not know it.</summary>
    UnknownModelPrice,
    /// <summary>The current window's trend says a limit will be reached before the window ends.</summary>
    ProjectedToExceed,
    /// <summary>An hour's spend is far above its recent baseline (see <c>docs/alerts.md</c> for how it is computed).</summary>
    SpendAnomaly,
    /// <summary>A provider reported more tokens for a call than were reserved for it (the reservation's caps were passed).</summary>
    ProviderOverReport,
    /// <summary>Several alerts delivered as one message (<see cref="BudgetAlert.Items"/>); see the digest settings.</summary>
    Digest,
    /// <summary>A call's reported usage was negative, absurd or inconsistent and was corrected before it was counted.</summary>
    UsageAnomaly,
    /// <summary>An alert sink (a webhook, an SMTP server) failed to deliver; sent once, to the other sinks, until it delivers again.
    /// <see cref="BudgetAlert.Scope"/> is the sink's name.</summary>
    AlertSinkFailing,
    /// <summary>An alert sink that was failing delivered again.</summary>
    AlertSinkRecovered,
}

/// <summary>How urgent an alert is: the log level it is written at and the colour a chat message gets.</summary>
public enum AlertSeverity
{
    /// <summary>Good news or a notice: a breaker closed, the store is back.</summary>
    Info,
    /// <summary>Worth a look today.</summary>
    Warning,
    /// <summary>Worth a look now.</summary>
    Critical,
}

/// <summary>A budget event worth telling someone about.</summary>
/// <param name="Level">What happened.</param>
/// <param name="Scope">The budget name or <c>tenant:&lt;key&gt;</c> (the model, for an unknown price).</param>
/// <param name="Dimension">The dimension, for threshold, soft-limit and projection alerts.</param>
/// <param name="Window">The window, for threshold, soft-limit and projection alerts.</param>
/// <param name="Used">Usage when the alert fired (same unit as the limit).</param>
/// <param name="Limit">The limit.</param>
/// <param name="Percent">Used as a percentage of the limit.</param>
/// <param name="Message">A sentence a person understands.</param>
/// <param name="Timestamp">When it happened.</param>
public sealed record BudgetAlert(
    AlertLevel Level, string Scope, BudgetDimension? Dimension, BudgetWindow? Window,
    decimal Used, decimal Limit, double Percent, string Message, DateTimeOffset Timestamp)
{
    /// <summary>A unique id (also the delivery id of signed webhooks, so a receiver can drop a retried duplicate).</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>The threshold percent that was crossed, for threshold and soft-limit alerts.</summary>
    public double? ThresholdPercent { get; init; }

    /// <summary>Whether <see cref="Limit"/> is a soft limit: it only alerts, it never denies a call.</summary>
    public bool IsSoftLimit { get; init; }

    /// <summary>When the limit's window resets (UTC), for alerts about a windowed limit.</summary>
    public DateTimeOffset? WindowEnd { get; init; }

    /// <summary>When the limit runs out at the current window's average rate, if it does before <see cref="WindowEnd"/>.</summary>
    public DateTimeOffset? ProjectedExhaustion { get; init; }

    /// <summary>What to do about it, in a sentence.</summary>
    public string? Advice { get; init; }

    /// <summary>For a <see cref="AlertLevel.Digest"/>: the alerts it collects, oldest first; empty otherwise.</summary>
    public IReadOnlyList<BudgetAlert> Items { get; init; } = [];

    /// <summary>How urgent this alert is.</summary>
    public AlertSeverity Severity => Level.Severity();
}

/// <summary>Facts about <see cref="AlertLevel"/>s.</summary>
public static class AlertLevelExtensions
{
    /// <summary>How urgent an alert of <paramref name="level"/> is.</summary>
    public static AlertSeverity Severity(this AlertLevel level) => level switch
    {
        AlertLevel.BreakerClosed or AlertLevel.StoreRecovered or AlertLevel.Digest or AlertLevel.AlertSinkRecovered => AlertSeverity.Info,
        AlertLevel.Warning or AlertLevel.UnknownModelPrice or AlertLevel.ProjectedToExceed or AlertLevel.ProviderOverReport => AlertSeverity.Warning,
        _ => AlertSeverity.Critical,
    };
}

/// <summary>Delivers alerts: a log, a chat channel, a webhook, e-mail, a pager.</summary>
public interface IBudgetAlertSink
{
    /// <summary>The name routes refer to (<c>GuardedAI:Alerts:Routes</c>); the configuration gives each channel its name.</summary>
    string Name => GetType().Name;

    /// <summary>Delivers one alert. Called off the request path, one alert at a time per sink; exceptions are logged, not
    /// rethrown; <paramref name="cancellationToken"/> fires when the send takes longer than the dispatcher allows.</summary>
    ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken);
}

namespace GuardedAI;

/// <summary>What an alert reports.</summary>
public enum AlertLevel
{
    /// <summary>Usage crossed the warning threshold (default 70%).</summary>
    Warning,
    /// <summary>Usage crossed the critical threshold (default 90%).</summary>
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
    /// <summary>A call's reported usage was negative, absurd or inconsistent and was corrected, or the call used more than it reserved.</summary>
    UsageAnomaly,
}

/// <summary>A budget event worth telling someone about.</summary>
/// <param name="Level">What happened.</param>
/// <param name="Scope">The budget name or <c>tenant:&lt;key&gt;</c>.</param>
/// <param name="Dimension">The dimension, for threshold alerts.</param>
/// <param name="Window">The window, for threshold alerts.</param>
/// <param name="Used">Usage when the alert fired (same unit as the limit).</param>
/// <param name="Limit">The limit.</param>
/// <param name="Percent">Used as a percentage of the limit.</param>
/// <param name="Message">A sentence a person understands.</param>
/// <param name="Timestamp">When it happened.</param>
public sealed record BudgetAlert(
    AlertLevel Level, string Scope, BudgetDimension? Dimension, BudgetWindow? Window,
    decimal Used, decimal Limit, double Percent, string Message, DateTimeOffset Timestamp);

/// <summary>Delivers alerts: a log, a webhook, e-mail, a pager.</summary>
public interface IBudgetAlertSink
{
    /// <summary>Delivers one alert. Called off the request path by the <see cref="AlertDispatcher"/>; exceptions are logged, not rethrown.</summary>
    ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken);
}

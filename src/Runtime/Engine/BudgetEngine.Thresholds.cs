using System.Globalization;

namespace GuardedAI;

public sealed partial class BudgetEngine
{
    /// <summary>
    /// After a settlement, compares each counter with its limit: crossing warn, critical or trip publishes an
    /// alert once per (scope, dimension, window instance, level), and crossing trip opens the scope's breaker
    /// until that window ends.
    /// </summary>
    private void EvaluateThresholds(BudgetReservation reservation, IReadOnlyList<CounterCharge> charges, IReadOnlyList<long> values, DateTimeOffset now)
    {
        for (var i = 0; i < charges.Count && i < values.Count; i++)
        {
            var charge = charges[i];
            if (charge.Limit <= 0) continue;
            var policy = reservation.TenantPolicy is { } tenant && charge.Key.Scope == tenant.Name ? tenant : reservation.Policy;
            var percent = values[i] * 100.0 / charge.Limit;
            var thresholds = policy.Thresholds;
            if (percent < thresholds.WarnAtPercent) continue;

            Publish(AlertLevel.Warning, thresholds.WarnAtPercent);
            if (percent >= thresholds.CriticalAtPercent) Publish(AlertLevel.Critical, thresholds.CriticalAtPercent);
            if (percent >= thresholds.TripAtPercent)
            {
                Publish(AlertLevel.Emergency, thresholds.TripAtPercent);
                if (policy.Breaker.TripOnThreshold)
                {
                    Breakers.Get(charge.Key.Scope).Open(
                        string.Create(CultureInfo.InvariantCulture, $"{charge.Key.Window.Describe()} {charge.Key.Dimension.Describe()} reached {percent:0.#}% of the limit; trips at {thresholds.TripAtPercent:0.#}%"),
                        charge.WindowEnd,
                        new BreakerTrip(charge.Key.Dimension, charge.Key.Window, BudgetUnits.FromUnits(charge.Key.Dimension, values[i]), BudgetUnits.FromUnits(charge.Key.Dimension, charge.Limit)));
                }
            }

            void Publish(AlertLevel level, double threshold)
            {
                var dimension = charge.Key.Dimension;
                var used = BudgetUnits.FromUnits(dimension, values[i]);
                var limit = BudgetUnits.FromUnits(dimension, charge.Limit);
                var message = string.Create(CultureInfo.InvariantCulture,
                    $"Budget '{charge.Key.Scope}': {charge.Key.Window.Describe()} {dimension.Describe()} at {percent:0.#}% ({dimension.Format(used)} of {dimension.Format(limit)}), past the {level.ToString().ToLowerInvariant()} threshold of {threshold:0.#}%. The window resets at {charge.WindowEnd:u}.");
                Alerts.Publish(new BudgetAlert(level, charge.Key.Scope, dimension, charge.Key.Window, used, limit, percent, message, now),
                    AlertKeys.Threshold(charge, level));
            }
        }
    }

    private void OnBreakerStateChanged(CircuitBreaker breaker, CircuitBreakerState state)
    {
        var now = TimeProvider.GetUtcNow();
        switch (state)
        {
            case CircuitBreakerState.Open:
                Alerts.Publish(new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                    $"Budget '{breaker.Scope}': circuit breaker opened until {breaker.OpenUntil:u} ({breaker.Reason}).", now));
                break;
            case CircuitBreakerState.EmergencyStopped:
                Alerts.Publish(new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                    $"Budget '{breaker.Scope}': emergency stop ({breaker.Reason}); every call is denied until an operator resets it.", now));
                break;
            case CircuitBreakerState.Closed:
                Alerts.Publish(new BudgetAlert(AlertLevel.BreakerClosed, breaker.Scope, null, null, 0, 0, 0,
                    $"Budget '{breaker.Scope}': circuit breaker closed; calls flow again.", now));
                break;
        }
    }

    private void OnUnknownModel(string model)
    {
        var price = Prices.DefaultPrice;
        Alerts.Publish(new BudgetAlert(AlertLevel.UnknownModelPrice, model, null, null, 0, 0, 0,
            string.Create(CultureInfo.InvariantCulture, $"No price is known for model '{model}'; it is priced at the default ${price.InputPerMillion}/${price.OutputPerMillion} per 1M input/output tokens. Configure GuardedAI:Prices to set its price."),
            TimeProvider.GetUtcNow()), "unknown-model|" + model);
    }
}

/// <summary>De-duplication keys for alerts: <c>scope|dimension|window|windowStartTicks|level|windowEndTicks</c>.</summary>
internal static class AlertKeys
{
    public static string Threshold(in CounterCharge charge, AlertLevel level) => string.Create(CultureInfo.InvariantCulture,
        $"{charge.Key.Scope}|{charge.Key.Dimension}|{charge.Key.Window}|{charge.Key.WindowStart.UtcTicks}|{level}|{charge.WindowEnd.UtcTicks}");

    public static long? WindowEndTicks(string key)
    {
        var bar = key.LastIndexOf('|');
        return bar > 0 && long.TryParse(key.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && key.Count(c => c == '|') == 5 ? ticks : null;
    }
}

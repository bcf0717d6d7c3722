using System.Globalization;

namespace GuardedAI.Engine;

/// <summary>
/// Watches counters after each settlement: crossing a policy's warn, critical or trip threshold publishes an alert
/// once per (scope, dimension, window instance, level), and crossing trip opens the scope's breaker until that
/// window ends (unless the policy says otherwise). Also turns breaker state changes into alerts.
/// </summary>
internal sealed class ThresholdMonitor
{
    private readonly CircuitBreakerRegistry _breakers;
    private readonly AlertDispatcher _alerts;
    private readonly TimeProvider _time;

    /// <summary>How close each budget is to its limits, for the degradation steps.</summary>
    public BudgetLevels Levels { get; } = new();

    public ThresholdMonitor(CircuitBreakerRegistry breakers, AlertDispatcher alerts, TimeProvider time)
    {
        _breakers = breakers;
        _alerts = alerts;
        _time = time;
        breakers.StateChanged += OnBreakerStateChanged;
    }

    /// <summary>Compares each settled counter's value with its limit; <paramref name="policyOf"/> gives a charge's scope's policy.</summary>
    public void Evaluate(IReadOnlyList<CounterCharge> charges, IReadOnlyList<long> values, Func<string, BudgetPolicy> policyOf, DateTimeOffset now)
    {
        for (var i = 0; i < charges.Count && i < values.Count; i++)
        {
            var charge = charges[i];
            // Conversation and run limits cap one entity each: they deny, but they are not the budget's health, so no
            // alerts and no breaker.
            if (charge.Limit <= 0 || charge.Key.Window.IsScope()) continue;
            var percent = values[i] * 100.0 / charge.Limit;
            Levels.Record(charge, percent);
            var policy = policyOf(charge.Key.Scope);
            var thresholds = policy.Thresholds;
            if (percent < thresholds.WarnAtPercent) continue;

            Publish(charge, values[i], percent, AlertLevel.Warning, thresholds.WarnAtPercent, now);
            if (percent >= thresholds.CriticalAtPercent) Publish(charge, values[i], percent, AlertLevel.Critical, thresholds.CriticalAtPercent, now);
            if (percent < thresholds.TripAtPercent) continue;
            Publish(charge, values[i], percent, AlertLevel.Emergency, thresholds.TripAtPercent, now);
            if (policy.Breaker.TripOnThreshold)
            {
                _breakers.Get(charge.Key.Scope).Open(
                    string.Create(CultureInfo.InvariantCulture, $"{charge.Key.Window.Describe()} {charge.Key.Dimension.Describe()} reached {percent:0.#}% of the limit; trips at {thresholds.TripAtPercent:0.#}%"),
                    charge.WindowEnd,
                    new BreakerTrip(charge.Key.Dimension, charge.Key.Window, BudgetUnits.FromUnits(charge.Key.Dimension, values[i]), BudgetUnits.FromUnits(charge.Key.Dimension, charge.Limit)));
            }
        }
    }

    /// <summary>Alerts once per model that is priced with the default price.</summary>
    public void UnknownModel(string model, ModelPrice defaultPrice)
    {
        _alerts.Publish(new BudgetAlert(AlertLevel.UnknownModelPrice, model, null, null, 0, 0, 0,
            string.Create(CultureInfo.InvariantCulture, $"No price is known for model '{model}'; it is priced at the default ${defaultPrice.InputPerMillion}/${defaultPrice.OutputPerMillion} per 1M input/output tokens. Configure GuardedAI:Prices to set its price."),
            _time.GetUtcNow()), "unknown-model|" + model);
    }

    /// <summary>Forgets the dedup keys of windows that have ended.</summary>
    public void ForgetEndedWindows(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        _alerts.ForgetKeys(key => AlertKeys.WindowEndTicks(key) is { } end && end < ticks);
    }

    private void Publish(in CounterCharge charge, long valueUnits, double percent, AlertLevel level, double threshold, DateTimeOffset now)
    {
        var dimension = charge.Key.Dimension;
        var used = BudgetUnits.FromUnits(dimension, valueUnits);
        var limit = BudgetUnits.FromUnits(dimension, charge.Limit);
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Budget '{charge.Key.Scope}': {charge.Key.Window.Describe()} {dimension.Describe()} at {percent:0.#}% ({dimension.Format(used)} of {dimension.Format(limit)}), past the {level.ToString().ToLowerInvariant()} threshold of {threshold:0.#}%. The window resets at {charge.WindowEnd:u}.");
        _alerts.Publish(new BudgetAlert(level, charge.Key.Scope, dimension, charge.Key.Window, used, limit, percent, message, now), AlertKeys.Threshold(charge, level));
    }

    private void OnBreakerStateChanged(CircuitBreaker breaker, CircuitBreakerState state)
    {
        var now = _time.GetUtcNow();
        var alert = state switch
        {
            CircuitBreakerState.Open => new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': circuit breaker opened until {breaker.OpenUntil:u} ({breaker.Reason}).", now),
            CircuitBreakerState.EmergencyStopped => new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': emergency stop ({breaker.Reason}); every call is denied until an operator resets it.", now),
            CircuitBreakerState.Closed => new BudgetAlert(AlertLevel.BreakerClosed, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': circuit breaker closed; calls flow again.", now),
            _ => null,
        };
        if (alert is not null) _alerts.Publish(alert);
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

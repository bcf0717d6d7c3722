using System.Globalization;

namespace GuardedAI.Engine;

/// <summary>
/// Watches counters after each settlement and turns what it sees into alerts:
/// <list type="bullet">
/// <item>every alert level of a budget (warn, critical, trip and any further ones) once per window; when usage jumps
/// past several levels at once only the highest is sent, and the lower ones are not sent later in that window
/// (escalation sends each higher level once); crossing trip opens the scope's breaker until the window ends;</item>
/// <item>a soft limit reached (alert only);</item>
/// <item>a window whose average rate so far reaches its limit before the window ends (projected to exceed);</item>
/// <item>an hour whose spend is far above its baseline (<see cref="SpendAnomalyDetector"/>);</item>
/// <item>a provider reporting more tokens than were reserved, a model without a price, breaker state changes.</item>
/// </list>
/// De-duplication and the repeat interval are the dispatcher's (<see cref="AlertDispatcher"/>).
/// </summary>
internal sealed class ThresholdMonitor
{
    private readonly CircuitBreakerRegistry _breakers;
    private readonly AlertDispatcher _alerts;
    private readonly TimeProvider _time;
    private readonly AlertSettings _settings;
    private readonly GuardedAIMetrics? _metrics;
    private readonly SpendAnomalyDetector _anomalies;
    private readonly AlertKeys _keys = new();


    /// <summary>How close each budget is to its limits, for the degradation steps.</summary>
    public BudgetLevels Levels { get; } = new();

    public ThresholdMonitor(CircuitBreakerRegistry breakers, AlertDispatcher alerts, TimeProvider time, AlertSettings settings, GuardedAIMetrics? metrics)
    {
        _breakers = breakers;
        _alerts = alerts;
        _time = time;
        _settings = settings;
        _metrics = metrics;
        _anomalies = new SpendAnomalyDetector(settings);
        breakers.StateChanged += OnBreakerStateChanged;
    }

    /// <summary>Compares each settled counter's value with its limits. A charge of <paramref name="tenantPolicy"/>'s scope is
    /// judged by it, every other by <paramref name="policy"/>. Only the charges' counters and limits are read, not their amounts.</summary>
    public void Evaluate(CounterReservation settled, BudgetPolicy policy, BudgetPolicy? tenantPolicy, BudgetPolicy? companion, DateTimeOffset now)
    {
        var set = settled.Set;
        var values = settled.Values;
        var projectFrom = ProjectionFromPercent();
        // A shared set (the budget's own charges, nearly every call) has its marks worked out once: a counter below its
        // mark only has its percent recorded. Listeners to the utilization metric want every counter's value, so they get
        // the full look.
        if (set.IsShared && (_metrics is null || !_metrics.UtilizationEnabled) && WatchOf(set, policy, tenantPolicy, companion, projectFrom) is { } watch)
        {
            var charges = set.Charges;
            var quietBelow = watch.QuietBelow;
            var recordsLevel = watch.RecordsLevel;
            for (var i = 0; i < charges.Length; i++)
            {
                if (values[i] < quietBelow[i])
                {
                    if (recordsLevel[i]) Levels.Record(set, i, values[i] * 100.0 / charges[i].Limit);
                    continue;
                }
                Look(settled, i, policy, tenantPolicy, companion, projectFrom, now);
            }
        }
        else
        {
            for (var i = 0; i < set.Count; i++) Look(settled, i, policy, tenantPolicy, companion, projectFrom, now);
        }
        Levels.Bind(set);
    }

    /// <summary>The watch of a shared set for these policies: the one the set holds, or, when it holds none, a new one it
    /// keeps for the settlements after this one (unless another settlement's got there first); null when it holds another
    /// engine's or other policies' (the caller then looks at each counter in full).</summary>
    private ChargeWatch? WatchOf(ChargeSet set, BudgetPolicy policy, BudgetPolicy? tenantPolicy, BudgetPolicy? companion, double projectFrom)
    {
        if (Volatile.Read(ref set.Watch) is ChargeWatch held) return held.Matches(this, policy, tenantPolicy, companion) ? held : null;
        // Right for this settlement whether or not the set keeps it.
        var made = ChargeWatch.For(this, set.Charges, policy, tenantPolicy, companion, projectFrom);
        Interlocked.CompareExchange(ref set.Watch, made, null);
        return made;
    }

    /// <summary>The full look at charge <paramref name="i"/>: its percent recorded, then its alert levels, projection and
    /// soft limits, each only where it could fire.</summary>
    private void Look(CounterReservation settled, int i, BudgetPolicy policy, BudgetPolicy? tenantPolicy, BudgetPolicy? companion, double projectFrom, DateTimeOffset now)
    {
        ref readonly var charge = ref settled.Set.Charges[i];
        var value = settled.Values[i];
        // Conversation and run limits cap one entity each: they deny, but they are not the budget's health, so no
        // alerts and no breaker.
        if (charge.Key.Window.IsScope()) return;
        var judge = JudgeOf(charge, policy, tenantPolicy, companion);
        if (HasLimit(charge))
        {
            _metrics?.Utilization(charge, value, charge.Limit, soft: false);
            var percent = value * 100.0 / charge.Limit;
            Levels.Record(settled.Set, i, percent);
            // Below the lowest alert level and below any projection nothing can fire: nearly every settlement stops
            // at this comparison instead of working out the levels and the window's trend for each counter.
            if (percent >= Math.Min(LowestLevelPercent(judge.Thresholds), projectFrom))
            {
                EvaluateLevels(charge, value, percent, judge, now);
                Project(charge, value, now);
            }
        }
        // Indexed, not foreach: see Charges.Count.
        var softLimits = judge.Thresholds.SoftLimits;
        for (var s = 0; s < softLimits.Length; s++)
        {
            var soft = softLimits[s];
            if (soft.Dimension != charge.Key.Dimension || soft.Window != charge.Key.Window) continue;
            var softUnits = BudgetUnits.ToUnits(soft.Dimension, soft.Amount);
            _metrics?.Utilization(charge, value, softUnits, soft: true);
            if (value >= softUnits) PublishSoft(charge, value, softUnits, now);
        }
    }

    /// <summary>The policy that judges <paramref name="charge"/>: each scope by its own, the tenant's, a shadow companion's,
    /// else the budget's.</summary>
    internal static BudgetPolicy JudgeOf(in CounterCharge charge, BudgetPolicy policy, BudgetPolicy? tenantPolicy, BudgetPolicy? companion) =>
        tenantPolicy is not null && string.Equals(charge.Key.Scope, tenantPolicy.Name, StringComparison.Ordinal) ? tenantPolicy
        : companion is not null && string.Equals(charge.Key.Scope, companion.Name, StringComparison.Ordinal) ? companion
        : policy;

    /// <summary>Whether <paramref name="charge"/> has a limit its value can be a percent of.</summary>
    internal static bool HasLimit(in CounterCharge charge) => charge.Limit is > 0 and not Charges.Unlimited;

    /// <summary>The lowest percent of a limit at which <see cref="EvaluateLevels"/> can alert (infinity when there is no level).</summary>
    internal static double LowestLevelPercent(BudgetThresholds thresholds)
    {
        var levels = thresholds.LevelArray; // lowest first
        return levels.Length > 0 ? levels[0].Percent : double.PositiveInfinity;
    }

    /// <summary>
    /// A percent of a limit below which <see cref="Project"/> cannot alert, whatever the time. A projection fires when the
    /// window's rate so far reaches the limit before the window ends: <c>(limit − used) × elapsed / used &lt; length −
    /// elapsed</c>, that is <c>used / limit &gt; elapsed / length</c>, and only once <c>elapsed / length</c> is at least
    /// <see cref="AlertSettings.ProjectionMinimumElapsed"/>. So a counter below that share of its limit is never projected
    /// to exceed it; the bound is lowered by a millionth of itself so that no rounding of <see cref="Exhaustion"/>'s
    /// doubles can put a firing projection below it.
    /// </summary>
    private double ProjectionFromPercent() =>
        _settings.ProjectExceedance ? _settings.ProjectionMinimumElapsed * 100 * (1 - 1e-6) : double.PositiveInfinity;

    /// <summary>Looks at one settled call: its cost (<paramref name="costUnits"/>, nano-dollars) for the spend-anomaly
    /// baseline, its tokens against the reservation.</summary>
    public void Observe(HeldReservation call, in TokenUsage usage, long costUnits, bool reportedByProvider, BudgetPolicy? tenantPolicy, DateTimeOffset now)
    {
        if (reportedByProvider && (usage.InputTokens > call.Estimate.InputTokens || usage.OutputTokens > call.Estimate.OutputTokens))
        {
            PublishOverReport(call, usage, now);
        }
        if (!_anomalies.Enabled || costUnits <= 0) return;
        CheckAnomaly(call.Policy.Name, costUnits, now);
        if (tenantPolicy is not null) CheckAnomaly(tenantPolicy.Name, costUnits, now);
    }

    /// <summary>Alerts once per model that is priced with the default price.</summary>
    public void UnknownModel(string model, ModelPrice defaultPrice)
    {
        _alerts.Publish(new BudgetAlert(AlertLevel.UnknownModelPrice, model, null, null, 0, 0, 0,
            Invariant($"No price is known for model '{model}'; it is priced at the default ${defaultPrice.InputPerMillion}/${defaultPrice.OutputPerMillion} per 1M input/output tokens. Configure GuardedAI:Prices to set its price."),
            _time.GetUtcNow())
        {
            Advice = Invariant($"Add the model's price under GuardedAI:Prices:{model} (or an alias under GuardedAI:ModelAliases), so its calls are charged what they cost."),
        }, AlertDedup.Repeating("unknown-model|" + model));
    }

    /// <summary>Forgets the de-duplication keys whose hold has passed.</summary>
    public void ForgetEndedWindows(DateTimeOffset now) => _alerts.ForgetExpired(now);

    private void EvaluateLevels(in CounterCharge charge, long valueUnits, double percent, BudgetPolicy policy, DateTimeOffset now)
    {
        var thresholds = policy.Thresholds;
        var levels = thresholds.LevelArray;
        var top = -1;
        for (var j = 0; j < levels.Length; j++)
        {
            if (percent >= levels[j].Percent) top = j;
        }
        if (top < 0) return;

        var key = _keys.Level(charge.Key, levels[top]);
        if (!_alerts.IsHeld(key, now) && _alerts.Publish(ThresholdAlert(charge, valueUnits, percent, levels[top], now), AlertDedup.Windowed(key, charge.WindowEnd)))
        {
            // Escalation: a lower level is not sent after a higher one in the same window.
            var until = AlertDedup.Windowed(key, charge.WindowEnd).SuppressUntil(now, _settings.RepeatInterval);
            for (var j = 0; j < top; j++) _alerts.Hold(_keys.Level(charge.Key, levels[j]), until);
        }

        if (percent >= thresholds.TripAtPercent && policy.Breaker.TripOnThreshold)
        {
            _breakers.Get(charge.Key.Scope).Open(
                Invariant($"{charge.Key.Window.Describe()} {charge.Key.Dimension.Describe()} reached {percent:0.#}% of the limit; trips at {thresholds.TripAtPercent:0.#}%"),
                charge.WindowEnd,
                new BreakerTrip(charge.Key.Dimension, charge.Key.Window, BudgetUnits.FromUnits(charge.Key.Dimension, valueUnits), BudgetUnits.FromUnits(charge.Key.Dimension, charge.Limit)));
        }
    }

    private BudgetAlert ThresholdAlert(in CounterCharge charge, long valueUnits, double percent, ThresholdLevel level, DateTimeOffset now)
    {
        var dimension = charge.Key.Dimension;
        var used = BudgetUnits.FromUnits(dimension, valueUnits);
        var limit = BudgetUnits.FromUnits(dimension, charge.Limit);
        var exhaustion = Exhaustion(charge, valueUnits, charge.Limit, now);
        var message = Invariant(
            $"Budget '{charge.Key.Scope}': {charge.Key.Window.Describe()} {dimension.Describe()} at {percent:0.#}% ({dimension.Format(used)} of {dimension.Format(limit)}), past the {level.Level.ToString().ToLowerInvariant()} threshold of {level.Percent:0.#}%. The window resets at {charge.WindowEnd:u}.")
            + (exhaustion is { } at ? Invariant($" At this window's rate so far the limit is reached at {at:u}.") : "");
        var advice = level.Level == AlertLevel.Emergency
            ? Invariant($"Calls to '{charge.Key.Scope}' are being denied until the window resets at {charge.WindowEnd:u}. If this spend is expected, raise the limit (GuardedAI:Budgets); then reset the breaker (BudgetEngine.Breakers.Get(\"{charge.Key.Scope}\").Reset()).")
            : Invariant($"If this spend is expected, raise the limit (GuardedAI:Budgets) before it is reached; otherwise find the caller in the usage ledger (by tenant and tag) before calls are denied.");
        return new BudgetAlert(level.Level, charge.Key.Scope, dimension, charge.Key.Window, used, limit, percent, message, now)
        {
            ThresholdPercent = level.Percent,
            WindowEnd = charge.WindowEnd,
            ProjectedExhaustion = exhaustion,
            Advice = advice,
        };
    }

    private void PublishSoft(in CounterCharge charge, long valueUnits, long softUnits, DateTimeOffset now)
    {
        var key = _keys.Soft(charge.Key);
        if (_alerts.IsHeld(key, now)) return;
        var dimension = charge.Key.Dimension;
        var used = BudgetUnits.FromUnits(dimension, valueUnits);
        var limit = BudgetUnits.FromUnits(dimension, softUnits);
        var percent = valueUnits * 100.0 / softUnits;
        _alerts.Publish(new BudgetAlert(AlertLevel.Warning, charge.Key.Scope, dimension, charge.Key.Window, used, limit, percent,
            Invariant($"Budget '{charge.Key.Scope}': {charge.Key.Window.Describe()} {dimension.Describe()} reached its soft limit ({dimension.Format(used)} of {dimension.Format(limit)}, {percent:0.#}%). Calls go on; the window resets at {charge.WindowEnd:u}."),
            now)
        {
            ThresholdPercent = 100,
            IsSoftLimit = true,
            WindowEnd = charge.WindowEnd,
            Advice = "A soft limit only alerts. Check that this spend is intended; a hard limit denies calls when it is reached.",
        }, AlertDedup.Windowed(key, charge.WindowEnd));
    }

    private void Project(in CounterCharge charge, long valueUnits, DateTimeOffset now)
    {
        if (!_settings.ProjectExceedance || charge.Key.Window == BudgetWindow.Minute || valueUnits >= charge.Limit) return;
        if (Exhaustion(charge, valueUnits, charge.Limit, now) is not { } exhaustion) return;
        var key = _keys.Projected(charge.Key);
        if (_alerts.IsHeld(key, now)) return;
        var dimension = charge.Key.Dimension;
        var used = BudgetUnits.FromUnits(dimension, valueUnits);
        var limit = BudgetUnits.FromUnits(dimension, charge.Limit);
        var percent = valueUnits * 100.0 / charge.Limit;
        _alerts.Publish(new BudgetAlert(AlertLevel.ProjectedToExceed, charge.Key.Scope, dimension, charge.Key.Window, used, limit, percent,
            Invariant($"Budget '{charge.Key.Scope}': {charge.Key.Window.Describe()} {dimension.Describe()} is at {percent:0.#}% ({dimension.Format(used)} of {dimension.Format(limit)}) and, at this window's rate so far, reaches the limit at {exhaustion:u}, before the window resets at {charge.WindowEnd:u}."),
            now)
        {
            WindowEnd = charge.WindowEnd,
            ProjectedExhaustion = exhaustion,
            Advice = "Slow the callers down or raise the limit now; when the limit is reached, calls are denied until the window resets.",
        }, AlertDedup.Windowed(key, charge.WindowEnd));
    }

    /// <summary>
    /// When the limit runs out at the window's average rate so far: <c>now + (limit − used) / (used / elapsed)</c>; null
    /// when that is not before the window ends, or when less than <see cref="AlertSettings.ProjectionMinimumElapsed"/> of
    /// the window has passed (an early trend is mostly noise).
    /// </summary>
    private DateTimeOffset? Exhaustion(in CounterCharge charge, long valueUnits, long limitUnits, DateTimeOffset now)
    {
        var elapsed = (now - charge.Key.WindowStart).Ticks;
        var length = (charge.WindowEnd - charge.Key.WindowStart).Ticks;
        if (valueUnits <= 0 || elapsed <= 0 || length <= 0 || elapsed < length * _settings.ProjectionMinimumElapsed) return null;
        if (valueUnits >= limitUnits) return now;
        var remainingTicks = (double)(limitUnits - valueUnits) * elapsed / valueUnits;
        if (remainingTicks >= (charge.WindowEnd - now).Ticks) return null;
        return now + TimeSpan.FromTicks((long)Math.Ceiling(remainingTicks));
    }

    private void CheckAnomaly(string scope, long costUnits, DateTimeOffset now)
    {
        if (_anomalies.Observe(scope, costUnits, now) is not { } anomaly) return;
        var key = scope + "|anomaly";
        if (_alerts.IsHeld(key, now)) return;
        var hourStart = anomaly.HourEnd.AddHours(-1);
        var factor = anomaly.Baseline > 0 ? (double)(anomaly.Spend / anomaly.Baseline) : double.PositiveInfinity;
        var times = double.IsPositiveInfinity(factor) ? "while its baseline is $0" : Invariant($"{factor:0.#}× its baseline");
        _alerts.Publish(new BudgetAlert(AlertLevel.SpendAnomaly, scope, BudgetDimension.CostUsd, BudgetWindow.Hour, anomaly.Spend, anomaly.Baseline,
            anomaly.Baseline > 0 ? (double)(anomaly.Spend / anomaly.Baseline * 100m) : 0,
            Invariant($"Budget '{scope}' spent {BudgetDimension.CostUsd.Format(anomaly.Spend)} in the hour since {hourStart:u}, {times} of {BudgetDimension.CostUsd.Format(anomaly.Baseline)} an hour (the mean of the last {anomaly.Hours} hours)."),
            now)
        {
            WindowEnd = anomaly.HourEnd,
            Advice = "Find what changed: a new caller, a loop that does not end, a larger model or longer prompts. The usage ledger groups this hour's calls by tenant, model and tag.",
        }, AlertDedup.Windowed(key, anomaly.HourEnd));
    }

    private void PublishOverReport(HeldReservation call, in TokenUsage usage, DateTimeOffset now)
    {
        var scope = call.Policy.Name;
        var provider = call.Context.Provider ?? "the provider";
        var model = call.Estimate.Model ?? "(default model)";
        // A provider that counts a few tokens more than the estimate (a chat template's framing) over-reports on every
        // call; the key is checked first so that the held case costs a look-up, not a formatted message thrown away.
        var key = _keys.OverReport(scope, model);
        if (_alerts.IsHeld(key, now)) return;
        _alerts.Publish(new BudgetAlert(AlertLevel.ProviderOverReport, scope, null, null, 0, 0, 0,
            Invariant($"Budget '{scope}': {provider} reported {usage.InputTokens:#,0} input and {usage.OutputTokens:#,0} output tokens for call {call.Id} of {model}, more than the {call.Estimate.InputTokens:#,0} and {call.Estimate.OutputTokens:#,0} reserved. The difference is counted and may take a counter past its limit."),
            now)
        {
            Advice = "Check that the provider honours the output cap (MaxOutputTokens) and that the model's tokenizer is the one GuardedAI counts with; repeated over-reports mean the reservations are too small.",
        }, AlertDedup.Repeating(key));
    }

    private void OnBreakerStateChanged(CircuitBreaker breaker, CircuitBreakerState state)
    {
        _metrics?.BreakerState(breaker.Scope, state);
        var now = _time.GetUtcNow();
        var alert = state switch
        {
            CircuitBreakerState.Open => new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': circuit breaker opened until {breaker.OpenUntil:u} ({breaker.Reason}).", now)
            {
                WindowEnd = breaker.OpenUntil,
                Advice = "Calls to this budget are denied until the breaker half-opens; reset it by hand once the cause is fixed.",
            },
            CircuitBreakerState.EmergencyStopped => new BudgetAlert(AlertLevel.BreakerOpened, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': emergency stop ({breaker.Reason}); every call is denied until an operator resets it.", now)
            {
                Advice = "Reset the breaker (BudgetEngine.Breakers.Get(scope).Reset()) once it is safe to spend again.",
            },
            CircuitBreakerState.Closed => new BudgetAlert(AlertLevel.BreakerClosed, breaker.Scope, null, null, 0, 0, 0,
                $"Budget '{breaker.Scope}': circuit breaker closed; calls flow again.", now),
            _ => null,
        };
        if (alert is not null) _alerts.Publish(alert, AlertDedup.StateChange("breaker|" + breaker.Scope));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

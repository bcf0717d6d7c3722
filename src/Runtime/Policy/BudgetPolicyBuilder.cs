using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace GuardedAI;

/// <summary>Builds a <see cref="BudgetPolicy"/>. Later settings override earlier ones; explicit limits override a tier's.</summary>
public sealed class BudgetPolicyBuilder
{
    private const int Dimensions = (int)BudgetDimension.Turns + 1;
    private const int Windows = (int)BudgetWindow.Run + 1;

    // One slot per (window, dimension), in the order a built policy lists its limits. An array rather than a dictionary
    // keyed by a tuple of enums: that instantiation, and LINQ sorting structs, are code the runtime compiles on a
    // process's start-up path (they took ~14 ms of the first guarded call's 160).
    private readonly decimal?[] _limits = new decimal?[Windows * Dimensions];
    private string _name;
    private string? _model;
    private BudgetTier _tier;
    private int? _maxInputTokens;
    private int? _maxOutputTokens;
    private decimal? _maxRequestCostUsd;
    private BudgetThresholds _thresholds = BudgetThresholds.Default;
    private BreakerSettings _breaker = BreakerSettings.Default;
    private TimeZoneInfo? _timeZone; // null: UTC, without touching TimeZoneInfo (see WindowCalendar)
    private TimeSpan _scopeIdleTimeout = TimeSpan.FromHours(1);
    private DegradationSettings _degradation = DegradationSettings.None;
    private EnforcementMode _mode;
    private BudgetPolicy? _shadowCompanion;

    internal BudgetPolicyBuilder(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A budget needs a non-empty name.", nameof(name));
        _name = name;
    }

    internal BudgetPolicyBuilder(BudgetPolicy policy)
    {
        _name = policy.Name;
        _model = policy.Model;
        _tier = policy.Tier;
        foreach (var limit in policy.Limits) _limits[Slot(limit.Dimension, limit.Window)] = limit.Amount;
        _maxInputTokens = policy.MaxInputTokens;
        _maxOutputTokens = policy.MaxOutputTokens;
        _maxRequestCostUsd = policy.MaxRequestCostUsd;
        _thresholds = policy.Thresholds;
        _breaker = policy.Breaker;
        _timeZone = policy.Zone;
        _scopeIdleTimeout = policy.ScopeIdleTimeout;
        _degradation = policy.Degradation;
        _mode = policy.Mode;
        _shadowCompanion = policy.ShadowCompanion;
    }

    /// <summary>Renames the policy.</summary>
    public BudgetPolicyBuilder WithName(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A budget needs a non-empty name.", nameof(name));
        _name = name;
        return this;
    }

    /// <summary>Sets the default model id.</summary>
    public BudgetPolicyBuilder ForModel(string? model)
    {
        _model = string.IsNullOrWhiteSpace(model) ? null : model;
        return this;
    }

    /// <summary>Applies a tier's limits and per-request caps (explicit settings made afterwards override them).</summary>
    public BudgetPolicyBuilder WithTier(BudgetTier tier)
    {
        _tier = tier;
        var definition = BudgetTierDefaults.Get(tier);
        foreach (var limit in definition.Limits()) _limits[Slot(limit.Dimension, limit.Window)] = limit.Amount;
        if (definition.MaxInputTokens > 0) _maxInputTokens = definition.MaxInputTokens;
        if (definition.MaxOutputTokens > 0) _maxOutputTokens = definition.MaxOutputTokens;
        if (definition.MaxRequestCostUsd > 0) _maxRequestCostUsd = definition.MaxRequestCostUsd;
        return this;
    }

    /// <summary>Sets the limit for (<paramref name="dimension"/>, <paramref name="window"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> or <paramref name="window"/> is not a defined value.</exception>
    public BudgetPolicyBuilder WithLimit(BudgetDimension dimension, BudgetWindow window, decimal amount)
    {
        _limits[Slot(dimension, window)] = amount;
        return this;
    }

    /// <summary>Removes the limit for (<paramref name="dimension"/>, <paramref name="window"/>), e.g. one a tier set.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> or <paramref name="window"/> is not a defined value.</exception>
    public BudgetPolicyBuilder WithoutLimit(BudgetDimension dimension, BudgetWindow window)
    {
        _limits[Slot(dimension, window)] = null;
        return this;
    }

    private int Slot(BudgetDimension dimension, BudgetWindow window)
    {
        if ((uint)dimension >= Dimensions) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"Budget '{_name}': {(int)dimension} is not a BudgetDimension.");
        if ((uint)window >= Windows) throw new ArgumentOutOfRangeException(nameof(window), window, $"Budget '{_name}': {(int)window} is not a BudgetWindow.");
        return (int)window * Dimensions + (int)dimension;
    }

    /// <summary>Caps the prompt of one request.</summary>
    public BudgetPolicyBuilder WithMaxInputTokens(int? tokens) { _maxInputTokens = tokens; return this; }

    /// <summary>Caps the completion of one request.</summary>
    public BudgetPolicyBuilder WithMaxOutputTokens(int? tokens) { _maxOutputTokens = tokens; return this; }

    /// <summary>Caps the estimated cost of one request.</summary>
    public BudgetPolicyBuilder WithMaxRequestCostUsd(decimal? usd) { _maxRequestCostUsd = usd; return this; }

    /// <summary>Sets the alert thresholds; a null keeps that threshold as it is.</summary>
    public BudgetPolicyBuilder WithThresholds(double? warnAtPercent = null, double? criticalAtPercent = null, double? tripAtPercent = null)
    {
        _thresholds = _thresholds with
        {
            WarnAtPercent = warnAtPercent ?? _thresholds.WarnAtPercent,
            CriticalAtPercent = criticalAtPercent ?? _thresholds.CriticalAtPercent,
            TripAtPercent = tripAtPercent ?? _thresholds.TripAtPercent,
        };
        return this;
    }

    /// <summary>Adds alert levels in percent of each limit (e.g. 50 and 80) beside warn, critical and trip; each fires once per window.</summary>
    public BudgetPolicyBuilder WithAlertLevels(params double[] percents)
    {
        ArgumentNullException.ThrowIfNull(percents);
        _thresholds = _thresholds with { AlertAtPercents = [.. _thresholds.AlertAtPercents.Concat(percents).Distinct().Order()] };
        return this;
    }

    /// <summary>Sets a soft limit for (<paramref name="dimension"/>, <paramref name="window"/>): reaching it alerts, and never denies a call.</summary>
    public BudgetPolicyBuilder WithSoftLimit(BudgetDimension dimension, BudgetWindow window, decimal amount)
    {
        _thresholds = _thresholds with
        {
            SoftLimits = [.. _thresholds.SoftLimits.Where(l => l.Dimension != dimension || l.Window != window), new BudgetLimit(dimension, window, amount)],
        };
        return this;
    }

    /// <summary>Sets the breaker behaviour.</summary>
    public BudgetPolicyBuilder WithBreaker(BreakerSettings settings) { _breaker = settings ?? throw new ArgumentNullException(nameof(settings)); return this; }

    /// <summary>How long a conversation's or run's counters are kept after its last call (default one hour).</summary>
    public BudgetPolicyBuilder WithScopeIdleTimeout(TimeSpan idleTimeout)
    {
        if (idleTimeout <= TimeSpan.Zero) throw new BudgetPolicyException(_name, $"the scope idle timeout must be positive, but is {idleTimeout}");
        _scopeIdleTimeout = idleTimeout;
        return this;
    }

    /// <summary>Sets how the budget slows down before its hard limit.</summary>
    public BudgetPolicyBuilder WithDegradation(DegradationSettings degradation)
    {
        _degradation = degradation ?? throw new ArgumentNullException(nameof(degradation));
        return this;
    }

    /// <summary>From the warning threshold on, spaces calls at least <paramref name="interval"/> apart, with up to
    /// <paramref name="queueLimit"/> calls waiting.</summary>
    public BudgetPolicyBuilder ThrottleAtWarning(TimeSpan interval, int queueLimit = 16) =>
        WithDegradation(_degradation with { ThrottleInterval = interval, ThrottleQueueLimit = queueLimit });

    /// <summary>From the critical threshold on, sends calls to <paramref name="model"/>.</summary>
    public BudgetPolicyBuilder DowngradeAtCritical(string model) => WithDegradation(_degradation with { DowngradeModel = model });

    /// <summary>Aligns calendar windows to <paramref name="timeZone"/> instead of UTC.</summary>
    public BudgetPolicyBuilder InTimeZone(TimeZoneInfo timeZone) { _timeZone = timeZone ?? throw new ArgumentNullException(nameof(timeZone)); return this; }

    /// <summary>Aligns calendar windows to the time zone with id <paramref name="timeZoneId"/> (IANA or Windows id).</summary>
    public BudgetPolicyBuilder InTimeZone(string timeZoneId)
    {
        try
        {
            _timeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new BudgetPolicyException(_name, $"time zone '{timeZoneId}' is not known on this machine");
        }
        return this;
    }

    /// <summary>Sets whether the budget stops the calls it would deny or only records them (see <see cref="EnforcementMode"/>).</summary>
    public BudgetPolicyBuilder WithMode(EnforcementMode mode)
    {
        if (!Enum.IsDefined(mode)) throw new BudgetPolicyException(_name, $"{(int)mode} is not an enforcement mode (Enforce or Shadow)");
        _mode = mode;
        return this;
    }

    /// <summary>Evaluates the budget on every call exactly as if enforced, but lets a call it would deny through and records
    /// it as "would have been denied" (<see cref="EnforcementMode.Shadow"/>).</summary>
    public BudgetPolicyBuilder InShadowMode() => WithMode(EnforcementMode.Shadow);

    /// <summary>Evaluates <paramref name="proposed"/> in shadow beside this budget on the same calls, under its own name:
    /// it never denies a call, and the calls it would have denied are recorded with its name. Null removes the companion.</summary>
    /// <exception cref="BudgetPolicyException">The proposal has this budget's name, or a companion of its own.</exception>
    public BudgetPolicyBuilder WithShadowCompanion(BudgetPolicy? proposed)
    {
        if (proposed is not null)
        {
            if (proposed.Name == _name)
                throw new BudgetPolicyException(_name, $"its shadow companion needs a name of its own (e.g. '{_name}-proposed'): counters are kept per name");
            if (proposed.ShadowCompanion is not null)
                throw new BudgetPolicyException(_name, $"its shadow companion '{proposed.Name}' has a companion of its own; one level only");
            if (proposed.Mode != EnforcementMode.Shadow) proposed = proposed.ToBuilder().InShadowMode().Build();
        }
        _shadowCompanion = proposed;
        return this;
    }

    /// <summary>Validates and builds the policy.</summary>
    /// <exception cref="BudgetPolicyException">A limit, cap or threshold is invalid; the message says which.</exception>
    public BudgetPolicy Build()
    {
        // Shortest window first, then by dimension: the slots' order.
        var count = 0;
        foreach (var amount in _limits) if (amount is not null) count++;
        var ordered = new BudgetLimit[count];
        count = 0;
        for (var slot = 0; slot < _limits.Length; slot++)
        {
            if (_limits[slot] is { } amount) ordered[count++] = new BudgetLimit((BudgetDimension)(slot % Dimensions), (BudgetWindow)(slot / Dimensions), amount);
        }
        var limits = ImmutableCollectionsMarshal.AsImmutableArray(ordered);
        _degradation.Validate(_name);
        BudgetPolicyValidator.Validate(_name, limits, _maxInputTokens, _maxOutputTokens, _maxRequestCostUsd, _thresholds, _breaker);
        if (_shadowCompanion?.Name == _name)
            throw new BudgetPolicyException(_name, $"its shadow companion needs a name of its own (e.g. '{_name}-proposed'): counters are kept per name");
        return new BudgetPolicy(_name, _model, _tier, limits, _maxInputTokens, _maxOutputTokens, _maxRequestCostUsd, _thresholds, _breaker, _timeZone, _scopeIdleTimeout, _degradation)
        {
            Mode = _mode,
            ShadowCompanion = _shadowCompanion,
        };
    }
}

using System.Collections.Immutable;

namespace GuardedAI;

/// <summary>
/// An immutable budget: a name (the scope usage is counted under), an optional default model, window limits,
/// per-request caps, alert thresholds and breaker settings. Build one with <see cref="Create(string)"/> or
/// <see cref="ForTier(string, BudgetTier)"/>; <see cref="BudgetPolicyBuilder.Build"/> validates it.
/// </summary>
public sealed class BudgetPolicy
{
    internal BudgetPolicy(
        string name, string? model, BudgetTier tier, ImmutableArray<BudgetLimit> limits,
        int? maxInputTokens, int? maxOutputTokens, decimal? maxRequestCostUsd,
        BudgetThresholds thresholds, BreakerSettings breaker, TimeZoneInfo? timeZone, TimeSpan scopeIdleTimeout, DegradationSettings degradation)
    {
        Degradation = degradation;
        ScopeIdleTimeout = scopeIdleTimeout;
        Name = name;
        Model = model;
        Tier = tier;
        Limits = limits;
        MaxInputTokens = maxInputTokens;
        MaxOutputTokens = maxOutputTokens;
        MaxRequestCostUsd = maxRequestCostUsd;
        Thresholds = thresholds;
        Breaker = breaker;
        Zone = timeZone;
    }

    /// <summary>Starts a policy with no limits.</summary>
    public static BudgetPolicyBuilder Create(string name) => new(name);

    /// <summary>Starts a policy with the limits of <paramref name="tier"/>.</summary>
    public static BudgetPolicyBuilder ForTier(string name, BudgetTier tier) => new BudgetPolicyBuilder(name).WithTier(tier);

    /// <summary>The scope name usage is counted under.</summary>
    public string Name { get; }

    /// <summary>The default model id for counting and pricing, when a call names none.</summary>
    public string? Model { get; }

    /// <summary>The tier the limits started from.</summary>
    public BudgetTier Tier { get; }

    /// <summary>The window limits, at most one per (dimension, window).</summary>
    public ImmutableArray<BudgetLimit> Limits { get; }

    /// <summary>Each of <see cref="Limits"/> in counter units (see <see cref="BudgetUnits"/>), worked out once: every
    /// reservation needs them, and converting a decimal amount is the dearest step of building its charges.</summary>
    internal long[] LimitUnits => _limitUnits ??= ToUnits(Limits);

    /// <summary>A loop, not LINQ over a struct: on the first call's path, where each such instantiation is compiled at start-up.</summary>
    private static long[] ToUnits(ImmutableArray<BudgetLimit> limits)
    {
        var units = new long[limits.Length];
        for (var i = 0; i < units.Length; i++) units[i] = BudgetUnits.ToUnits(limits[i].Dimension, limits[i].Amount);
        return units;
    }

    private long[]? _limitUnits;

    /// <summary>The engine's charges of this budget alone for the current windows (GuardedAI.Engine.Charges), reused by every call until a window rolls over.</summary>
    internal object? ChargeCache;

    /// <summary>Largest prompt of one request, in tokens.</summary>
    public int? MaxInputTokens { get; }

    /// <summary>Largest completion of one request, in tokens; also the <c>MaxOutputTokens</c> the guard sets
    /// when a call leaves it empty.</summary>
    public int? MaxOutputTokens { get; }

    /// <summary>Largest estimated cost of one request, in USD.</summary>
    public decimal? MaxRequestCostUsd { get; }

    /// <summary>Alert and trip thresholds.</summary>
    public BudgetThresholds Thresholds { get; }

    /// <summary>Circuit breaker behaviour.</summary>
    public BreakerSettings Breaker { get; }

    /// <summary>How long the counters of a conversation or run (<see cref="BudgetWindow.Conversation"/>,
    /// <see cref="BudgetWindow.Run"/> limits) are kept after its last call; a conversation resumed later starts afresh.
    /// Default one hour.</summary>
    public TimeSpan ScopeIdleTimeout { get; }

    /// <summary>How the budget slows down before its hard limit: throttling at warning, a cheaper model at critical.</summary>
    public DegradationSettings Degradation { get; }

    /// <summary>The time zone calendar windows are aligned to.</summary>
    public TimeZoneInfo TimeZone => Zone ?? TimeZoneInfo.Utc;

    /// <summary>The time zone set, or null for UTC (what <see cref="WindowCalendar"/> computes without
    /// <see cref="TimeZoneInfo"/>, whose first use costs a process milliseconds).</summary>
    internal TimeZoneInfo? Zone { get; }

    /// <summary>Whether the budget stops the calls it would deny (<see cref="EnforcementMode.Enforce"/>, the default) or lets
    /// them through and records them as "would have been denied" (<see cref="EnforcementMode.Shadow"/>).</summary>
    public EnforcementMode Mode { get; internal init; }

    /// <summary>A proposed budget evaluated in shadow beside this one on the same calls, under its own name, so the two
    /// can be compared before the proposal is enforced; null when there is none.</summary>
    public BudgetPolicy? ShadowCompanion { get; internal init; }

    /// <summary>Whether a reservation against this budget needs the shadow evaluation (a shadow mode or a companion).</summary>
    internal bool HasShadow => Mode == EnforcementMode.Shadow || ShadowCompanion is not null;

    /// <summary>The limit for (<paramref name="dimension"/>, <paramref name="window"/>), if any.</summary>
    public decimal? GetLimit(BudgetDimension dimension, BudgetWindow window)
    {
        // Indexed, not foreach: see Charges.Count.
        var limits = Limits;
        for (var l = 0; l < limits.Length; l++)
        {
            if (limits[l].Dimension == dimension && limits[l].Window == window) return limits[l].Amount;
        }
        return null;
    }

    /// <summary>The bounds of the calendar <paramref name="window"/> containing <paramref name="instant"/>, in this policy's time zone.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is a scope (conversation or run), not a calendar period.</exception>
    public (DateTimeOffset Start, DateTimeOffset End) GetWindowBounds(BudgetWindow window, DateTimeOffset instant)
    {
        var bounds = Bounds(window, instant);
        return (bounds.Start, bounds.End);
    }

    /// <summary><see cref="GetWindowBounds"/> as the object it keeps: the engine's charges read it without a tuple, whose
    /// constructor over <see cref="DateTimeOffset"/> no ReadyToRun image holds (it was compiled on a process's first call).</summary>
    internal WindowBounds Bounds(BudgetWindow window, DateTimeOffset instant)
    {
        if (window.IsScope() || (int)window is < 0 or >= 4)
            throw new ArgumentOutOfRangeException(nameof(window), window, "Only calendar windows (Minute, Hour, Day, Month) have bounds.");
        // Calendar arithmetic with time zones is the costliest step of a reservation; the bounds change only when a
        // window rolls over, so the last ones are kept (one immutable object per window kind, swapped atomically).
        var cached = Volatile.Read(ref _bounds[(int)window]);
        if (cached is not null && instant >= cached.Start && instant < cached.End) return cached;
        var fresh = new WindowBounds(WindowCalendar.Start(window, instant, Zone), WindowCalendar.End(window, instant, Zone));
        Volatile.Write(ref _bounds[(int)window], fresh);
        return fresh;
    }

    private readonly WindowBounds?[] _bounds = new WindowBounds?[4];

    /// <summary>The start and end of one calendar window.</summary>
    internal sealed record WindowBounds(DateTimeOffset Start, DateTimeOffset End);

    /// <summary>A builder that starts from this policy, for variations such as a tenant's copy.</summary>
    public BudgetPolicyBuilder ToBuilder() => new(this);

    /// <summary>A copy of this policy under another name (used for per-tenant budgets).</summary>
    public BudgetPolicy WithName(string name) => new BudgetPolicyBuilder(this).WithName(name).Build();

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Tier}{(Mode == EnforcementMode.Shadow ? ", shadow" : "")}): {string.Join(", ", Limits)}";
}

namespace GuardedAI;

/// <summary>
/// How the engine turns budget events into alerts and where it sends them: de-duplication, routing per level,
/// digests, projection and the spend-anomaly baseline. Part of <see cref="BudgetEngineOptions"/>; configured from
/// <c>GuardedAI:Alerts</c>. See <c>docs/alerts.md</c>.
/// </summary>
public sealed class AlertSettings
{
    /// <summary>
    /// The shortest time between two alerts with the same (scope, dimension, level, window) key (default one hour). A
    /// threshold fires once per window and, for windows shorter than this (a minute), at most once per interval.
    /// </summary>
    public TimeSpan RepeatInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Which sinks (by <see cref="IBudgetAlertSink.Name"/>) receive each level. A level without a route goes to every
    /// sink; a level routed to an empty list goes nowhere.
    /// </summary>
    public IDictionary<AlertLevel, IList<string>> Routes => _routes ??= new Dictionary<AlertLevel, IList<string>>();

    // Routes and digest levels are made when first read: the collections over AlertLevel are generic code no ReadyToRun
    // image holds, compiled just in time, and an engine built with neither (the default) then never compiles them.
    private Dictionary<AlertLevel, IList<string>>? _routes;
    private HashSet<AlertLevel>? _digestLevels;

    /// <summary>When set, alerts of <see cref="DigestLevels"/> are collected per sink and sent as one
    /// <see cref="AlertLevel.Digest"/> alert at this interval, instead of one message each.</summary>
    public TimeSpan? DigestInterval { get; set; }

    /// <summary>The levels a digest collects (default: <see cref="AlertLevel.Warning"/>).</summary>
    public ISet<AlertLevel> DigestLevels => _digestLevels ??= new HashSet<AlertLevel> { AlertLevel.Warning };

    /// <summary>Whether any route is set (without making the dictionary).</summary>
    internal bool HasRoutes => _routes is { Count: > 0 };

    /// <summary>Whether a digest collects <paramref name="level"/> (<see cref="DigestLevels"/>, or its default when never read).</summary>
    internal bool IsDigested(AlertLevel level) => _digestLevels is { } levels ? levels.Contains(level) : level == AlertLevel.Warning;

    /// <summary>Whether a <see cref="AlertLevel.ProjectedToExceed"/> alert fires when a window's trend reaches its
    /// limit before the window ends (default true).</summary>
    public bool ProjectExceedance { get; set; } = true;

    /// <summary>How much of a window must have passed before its trend is trusted for a projection (default 0.1 = 10%).</summary>
    public double ProjectionMinimumElapsed { get; set; } = 0.1;

    /// <summary>A spend anomaly fires when an hour's spend reaches this multiple of the baseline (default 3; 0 turns
    /// anomaly alerts off).</summary>
    public double AnomalyFactor { get; set; } = 3;

    /// <summary>How many past hours the baseline averages (default 24).</summary>
    public int AnomalyBaselineHours { get; set; } = 24;

    /// <summary>How many past hours must have been observed before anomalies are judged (default 6).</summary>
    public int AnomalyMinimumBaselineHours { get; set; } = 6;

    /// <summary>An hour spending less than this (USD) is never an anomaly, however quiet the baseline (default 1).</summary>
    public decimal AnomalyMinimumSpendUsd { get; set; } = 1m;

    /// <summary>Alerts that may wait for delivery, per sink; when a flood overflows a queue the oldest are dropped (default 1024).</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>The longest one sink may take to deliver one alert before it is cancelled (default 2 minutes).</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A copy, so an engine is not changed by later edits of the options it was built from.</summary>
    internal AlertSettings Copy()
    {
        var copy = new AlertSettings
        {
            RepeatInterval = RepeatInterval,
            DigestInterval = DigestInterval,
            ProjectExceedance = ProjectExceedance,
            ProjectionMinimumElapsed = ProjectionMinimumElapsed,
            AnomalyFactor = AnomalyFactor,
            AnomalyBaselineHours = AnomalyBaselineHours,
            AnomalyMinimumBaselineHours = AnomalyMinimumBaselineHours,
            AnomalyMinimumSpendUsd = AnomalyMinimumSpendUsd,
            QueueCapacity = QueueCapacity,
            SendTimeout = SendTimeout,
        };
        if (_routes is not null)
        {
            // Copied with CopyTo, not LINQ: a ReadyToRun method that calls LINQ loads System.Linq when it is first called,
            // whether or not that line runs, and every engine copies its alert settings.
            foreach (var (level, sinks) in _routes)
            {
                var names = new string[sinks.Count];
                sinks.CopyTo(names, 0);
                copy.Routes[level] = names;
            }
        }
        if (_digestLevels is not null)
        {
            copy.DigestLevels.Clear();
            foreach (var level in _digestLevels) copy.DigestLevels.Add(level);
        }
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    internal void Validate()
    {
        if (RepeatInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RepeatInterval), RepeatInterval, "Alerts.RepeatInterval must not be negative.");
        if (DigestInterval is { } digest && digest <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DigestInterval), digest, "Alerts.DigestInterval must be positive.");
        if (ProjectionMinimumElapsed is < 0 or >= 1 or double.NaN) throw new ArgumentOutOfRangeException(nameof(ProjectionMinimumElapsed), ProjectionMinimumElapsed, "Alerts.ProjectionMinimumElapsed must be in [0, 1).");
        if (AnomalyFactor < 0 || double.IsNaN(AnomalyFactor) || (AnomalyFactor > 0 && AnomalyFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(AnomalyFactor), AnomalyFactor, "Alerts.AnomalyFactor must be above 1 (or 0 to turn anomaly alerts off).");
        if (AnomalyBaselineHours is < 1 or > 24 * 31) throw new ArgumentOutOfRangeException(nameof(AnomalyBaselineHours), AnomalyBaselineHours, "Alerts.AnomalyBaselineHours must be 1-744.");
        if (AnomalyMinimumBaselineHours < 1 || AnomalyMinimumBaselineHours > AnomalyBaselineHours) throw new ArgumentOutOfRangeException(nameof(AnomalyMinimumBaselineHours), AnomalyMinimumBaselineHours, "Alerts.AnomalyMinimumBaselineHours must be 1 to AnomalyBaselineHours.");
        if (AnomalyMinimumSpendUsd < 0) throw new ArgumentOutOfRangeException(nameof(AnomalyMinimumSpendUsd), AnomalyMinimumSpendUsd, "Alerts.AnomalyMinimumSpendUsd must not be negative.");
        if (QueueCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "Alerts.QueueCapacity must be positive.");
        if (SendTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SendTimeout), SendTimeout, "Alerts.SendTimeout must be positive.");
    }
}

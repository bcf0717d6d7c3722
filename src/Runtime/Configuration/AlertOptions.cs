namespace GuardedAI;

/// <summary>
/// The <c>GuardedAI:Alerts</c> section: how alerts are de-duplicated, routed and batched. The channels themselves
/// (<c>Slack</c>, <c>Teams</c>, <c>Discord</c>, <c>Webhooks</c>, <c>Email</c>, <c>Http</c>, <c>AllowedNetworks</c>) are
/// read by the GuardedAI.Alerts package (<c>.AddAlertChannels()</c>). See <c>docs/alerts.md</c>.
/// </summary>
public sealed class AlertOptions
{
    /// <summary>The keys of this section the core reads; every other key belongs to a channel package.</summary>
    internal static readonly string[] CoreKeys =
        [nameof(Log), nameof(RepeatIntervalMinutes), nameof(Routes), nameof(Digest), nameof(ProjectExceedance), nameof(Anomaly), nameof(SendTimeoutSeconds)];

    /// <summary>Write alerts to the log (default true); its route name is <c>log</c>.</summary>
    public bool Log { get; set; } = true;

    /// <summary>Minutes before an alert with the same (scope, dimension, level, window) may repeat (default 60).</summary>
    public int? RepeatIntervalMinutes { get; set; }

    /// <summary>Channel names per alert level, e.g. <c>"Critical": ["team-chat", "on-call"]</c>; a level without a route goes to every channel.</summary>
    public Dictionary<string, string[]> Routes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Batch low-priority alerts into one message per interval.</summary>
    public AlertDigestOptions? Digest { get; set; }

    /// <summary>Alert when a window's trend reaches its limit before the window ends (default true).</summary>
    public bool? ProjectExceedance { get; set; }

    /// <summary>The spend-anomaly alert.</summary>
    public AnomalyAlertOptions? Anomaly { get; set; }

    /// <summary>Seconds one channel may take to deliver one alert, retries included (default 120).</summary>
    public int? SendTimeoutSeconds { get; set; }
}

/// <summary>The <c>GuardedAI:Alerts:Digest</c> section.</summary>
public sealed class AlertDigestOptions
{
    /// <summary>Minutes between digests (default 15).</summary>
    public int IntervalMinutes { get; set; } = 15;

    /// <summary>The levels collected into the digest (default <c>["Warning"]</c>).</summary>
    public string[]? Levels { get; set; }
}

/// <summary>The <c>GuardedAI:Alerts:Anomaly</c> section.</summary>
public sealed class AnomalyAlertOptions
{
    /// <summary>Whether spend anomalies alert (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>An hour is an anomaly at this multiple of its baseline (default 3).</summary>
    public double? Factor { get; set; }

    /// <summary>Past hours the baseline averages (default 24).</summary>
    public int? BaselineHours { get; set; }

    /// <summary>Past hours that must have been seen before anomalies are judged (default 6).</summary>
    public int? MinimumBaselineHours { get; set; }

    /// <summary>An hour spending less than this many USD is never an anomaly (default 1).</summary>
    public decimal? MinimumSpendUsd { get; set; }
}

/// <summary>Soft (alert-only) limits of a budget in configuration, named as the hard limits are.</summary>
public sealed class SoftLimitOptions : CalendarLimitOptions
{
    internal void ApplyTo(BudgetPolicyBuilder builder)
    {
        foreach (var (dimension, window, amount) in CalendarLimits()) builder.WithSoftLimit(dimension, window, amount);
    }
}

/// <summary>The <c>GuardedAI:HostPressure</c> section (see <see cref="HostPressureSettings"/>).</summary>
public sealed class HostPressureOptions
{
    /// <summary>Sample the host and hold back new calls under pressure (default false).</summary>
    public bool Enabled { get; set; }
    /// <summary>Seconds between samples (default 5).</summary>
    public double? SampleIntervalSeconds { get; set; }
    /// <summary>CPU percent threshold (default 80; 0 ignores CPU).</summary>
    public double? CpuPercent { get; set; }
    /// <summary>Memory percent threshold (default 85; 0 ignores memory).</summary>
    public double? MemoryPercent { get; set; }
    /// <summary>Disk percent threshold (default 90; 0 ignores the disk).</summary>
    public double? DiskPercent { get; set; }
    /// <summary>A path on the disk to watch (default: the current directory).</summary>
    public string? DiskPath { get; set; }
    /// <summary><c>Throttle</c> (default) or <c>Deny</c>.</summary>
    public HostPressureAction? Action { get; set; }
    /// <summary>Under pressure, at most one new call per this many milliseconds (default 200).</summary>
    public int? ThrottleIntervalMs { get; set; }
    /// <summary>The longest a throttled call waits before it is denied, in milliseconds (default 5000).</summary>
    public int? MaxThrottleWaitMs { get; set; }
}

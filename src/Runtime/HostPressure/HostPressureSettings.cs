namespace GuardedAI;

/// <summary>What the engine does with new calls while the host is under pressure.</summary>
public enum HostPressureAction
{
    /// <summary>New calls are spaced out (one per <see cref="HostPressureSettings.ThrottleInterval"/>); a call that would
    /// wait longer than <see cref="HostPressureSettings.MaxThrottleWait"/> is denied.</summary>
    Throttle,
    /// <summary>New calls are denied, naming the resource.</summary>
    Deny,
}

/// <summary>
/// Optional protection of the host (off by default): CPU, memory and disk use are sampled on a timer, off the call
/// path; while one is at or above its threshold, new calls are throttled or denied with a reason that names it.
/// Defaults 80 / 85 / 90 percent. See <c>docs/observability.md</c>.
/// </summary>
public sealed class HostPressureSettings
{
    /// <summary>Whether the host is sampled at all (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>How often the host is sampled (default 5 seconds).</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>CPU use, in percent, at which new calls are held back (default 80; 0 ignores CPU).</summary>
    public double CpuPercent { get; set; } = 80;

    /// <summary>Memory use, in percent, at which new calls are held back (default 85; 0 ignores memory).</summary>
    public double MemoryPercent { get; set; } = 85;

    /// <summary>Disk use, in percent, at which new calls are held back (default 90; 0 ignores the disk).</summary>
    public double DiskPercent { get; set; } = 90;

    /// <summary>A path on the disk to watch (default: the current directory, where a SQLite ledger usually lives).</summary>
    public string? DiskPath { get; set; }

    /// <summary>Throttle or deny (default <see cref="HostPressureAction.Throttle"/>).</summary>
    public HostPressureAction Action { get; set; } = HostPressureAction.Throttle;

    /// <summary>Under pressure with <see cref="HostPressureAction.Throttle"/>, at most one new call per this interval (default 200 ms).</summary>
    public TimeSpan ThrottleInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest a throttled call waits; one that would wait longer is denied (default 5 seconds).</summary>
    public TimeSpan MaxThrottleWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where samples come from; default: this machine (Linux <c>/proc</c> and cgroup limits, else the process's
    /// CPU time and the GC's memory load; the disk through <see cref="DriveInfo"/>).</summary>
    public IHostResourceProbe? Probe { get; set; }

    internal HostPressureSettings Copy() => (HostPressureSettings)MemberwiseClone();

    internal void Validate()
    {
        if (!Enabled) return;
        if (SampleInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SampleInterval), SampleInterval, "HostPressure.SampleInterval must be positive.");
        Check(nameof(CpuPercent), CpuPercent);
        Check(nameof(MemoryPercent), MemoryPercent);
        Check(nameof(DiskPercent), DiskPercent);
        if (ThrottleInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ThrottleInterval), ThrottleInterval, "HostPressure.ThrottleInterval must be positive.");
        if (MaxThrottleWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxThrottleWait), MaxThrottleWait, "HostPressure.MaxThrottleWait must not be negative.");
    }

    private static void Check(string name, double percent)
    {
        if (percent is < 0 or > 100 or double.NaN) throw new ArgumentOutOfRangeException(name, percent, $"HostPressure.{name} must be 0-100 (0 ignores the resource).");
    }
}

/// <summary>Reads how busy the host is. Called on the sampling timer, never on a call's path.</summary>
public interface IHostResourceProbe
{
    /// <summary>Current use of each resource in percent; null for a resource that cannot be read (yet).</summary>
    HostResourceSample Sample();
}

/// <summary>One sample of the host's resources, in percent of capacity; null where unknown.</summary>
/// <param name="CpuPercent">CPU use since the previous sample.</param>
/// <param name="MemoryPercent">Memory in use (of the container's limit when there is one).</param>
/// <param name="DiskPercent">Space used on the watched disk.</param>
public readonly record struct HostResourceSample(double? CpuPercent, double? MemoryPercent, double? DiskPercent);

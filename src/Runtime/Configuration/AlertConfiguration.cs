using Microsoft.Extensions.Configuration;

namespace GuardedAI;

/// <summary>Applies <c>GuardedAI:Alerts</c> and <c>GuardedAI:HostPressure</c> to <see cref="BudgetEngineOptions"/>.</summary>
internal static class AlertConfiguration
{
    /// <summary>The <see cref="IGuardedAIEngineSetup.ConfigurationSection"/> of the package that reads the channel keys.</summary>
    public const string ChannelsPackageSection = "Alerts";

    public static void Apply(AlertOptions source, BudgetEngineOptions target)
    {
        var alerts = target.Alerts;
        target.LogAlerts = source.Log;
        if (source.RepeatIntervalMinutes is { } repeat)
        {
            if (repeat < 0) throw new InvalidOperationException($"GuardedAI:Alerts:RepeatIntervalMinutes must not be negative, but is {repeat}.");
            alerts.RepeatInterval = TimeSpan.FromMinutes(repeat);
        }
        foreach (var (levelName, channels) in source.Routes)
        {
            var level = Level(levelName, $"GuardedAI:Alerts:Routes:{levelName}");
            alerts.Routes[level] = (channels ?? []).Where(c => !string.IsNullOrWhiteSpace(c)).ToList();
        }
        if (source.Digest is { } digest)
        {
            if (digest.IntervalMinutes <= 0) throw new InvalidOperationException($"GuardedAI:Alerts:Digest:IntervalMinutes must be positive, but is {digest.IntervalMinutes}.");
            alerts.DigestInterval = TimeSpan.FromMinutes(digest.IntervalMinutes);
            if (digest.Levels is { Length: > 0 } levels)
            {
                alerts.DigestLevels.Clear();
                for (var i = 0; i < levels.Length; i++) alerts.DigestLevels.Add(Level(levels[i], $"GuardedAI:Alerts:Digest:Levels:{i}"));
            }
        }
        if (source.ProjectExceedance is { } project) alerts.ProjectExceedance = project;
        if (source.SendTimeoutSeconds is { } timeout)
        {
            if (timeout <= 0) throw new InvalidOperationException($"GuardedAI:Alerts:SendTimeoutSeconds must be positive, but is {timeout}.");
            alerts.SendTimeout = TimeSpan.FromSeconds(timeout);
        }
        if (source.Anomaly is { } anomaly)
        {
            if (!anomaly.Enabled) alerts.AnomalyFactor = 0;
            else if (anomaly.Factor is { } factor) alerts.AnomalyFactor = factor;
            if (anomaly.BaselineHours is { } hours) alerts.AnomalyBaselineHours = hours;
            if (anomaly.MinimumBaselineHours is { } minimum) alerts.AnomalyMinimumBaselineHours = minimum;
            if (anomaly.MinimumSpendUsd is { } spend) alerts.AnomalyMinimumSpendUsd = spend;
        }
        try
        {
            alerts.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidOperationException("GuardedAI:Alerts: " + ex.Message.Split(Environment.NewLine)[0].Replace("Alerts.", "", StringComparison.Ordinal), ex);
        }
    }

    public static void ApplyHostPressure(HostPressureOptions source, BudgetEngineOptions target)
    {
        var host = target.HostPressure;
        host.Enabled = source.Enabled;
        if (source.SampleIntervalSeconds is { } seconds) host.SampleInterval = TimeSpan.FromSeconds(seconds);
        if (source.CpuPercent is { } cpu) host.CpuPercent = cpu;
        if (source.MemoryPercent is { } memory) host.MemoryPercent = memory;
        if (source.DiskPercent is { } disk) host.DiskPercent = disk;
        if (!string.IsNullOrWhiteSpace(source.DiskPath)) host.DiskPath = source.DiskPath;
        if (source.Action is { } action) host.Action = action;
        if (source.ThrottleIntervalMs is { } interval) host.ThrottleInterval = TimeSpan.FromMilliseconds(interval);
        if (source.MaxThrottleWaitMs is { } wait) host.MaxThrottleWait = TimeSpan.FromMilliseconds(wait);
        try
        {
            host.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidOperationException("GuardedAI:" + ex.Message.Split(Environment.NewLine)[0].Replace("HostPressure.", "HostPressure:", StringComparison.Ordinal), ex);
        }
    }

    /// <summary>A channel key under <c>GuardedAI:Alerts</c> without the package that reads it fails the start, naming the method to add.</summary>
    public static IEnumerable<ConfigurationError> ChannelSectionErrors(IConfigurationSection root, ISet<string> claimed)
    {
        if (claimed.Contains(ChannelsPackageSection)) yield break; // the package validates its own keys
        foreach (var child in root.GetSection("Alerts").GetChildren())
        {
            if (AlertOptions.CoreKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) continue;
            yield return new ConfigurationError(child.Path,
                "is not read by the GuardedAI core. Alert channels (Slack, Teams, Discord, Webhooks, Email) are read by the GuardedAI.Alerts package: add .AddAlertChannels() to AddGuardedAI(...).");
        }
    }

    private static AlertLevel Level(string name, string path) =>
        Enum.TryParse<AlertLevel>(name, ignoreCase: true, out var level) && Enum.IsDefined(level)
            ? level
            : throw new InvalidOperationException($"{path}: '{name}' is not an alert level. Levels: {string.Join(", ", Enum.GetNames<AlertLevel>())}.");
}

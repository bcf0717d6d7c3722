using System.Globalization;

namespace GuardedAI.Retention;

/// <summary>
/// A store's <c>Retention</c> section as configuration spells it (<c>GuardedAI:Sqlite:Retention</c>,
/// <c>GuardedAI:PostgreSql:Retention</c>); its presence turns automatic retention on (<c>Enabled: false</c> turns it off).
/// </summary>
internal sealed class RetentionSection
{
    public bool? Enabled { get; set; }
    public int? RawDays { get; set; }
    public int? RollupMonths { get; set; }
    public int? IntervalMinutes { get; set; }
    public int? BatchSize { get; set; }
    public string? KeepFrom { get; set; }

    /// <summary>The section's strict schema (every key, its type and range), for the store's own schema.</summary>
    public static ConfigurationSchema Schema(string noun) => new ConfigurationSchema(noun)
        .Value("Enabled", ConfigurationValue.Boolean)
        .Value("RawDays", ConfigurationValue.Integer(1, 100_000))
        .Value("RollupMonths", ConfigurationValue.Integer(1, 10_000))
        .Value("IntervalMinutes", ConfigurationValue.Integer(1, 525_600))
        .Value("BatchSize", ConfigurationValue.Integer(1, 1_000_000))
        .Value("KeepFrom", ConfigurationValue.Custom("a date (yyyy-MM-dd, UTC)", raw => TryParseDate(raw, out _)));

    /// <summary>The options after this section: null when it turns retention off, else <paramref name="current"/> (or new) with its values.</summary>
    public LedgerRetentionOptions? ApplyTo(LedgerRetentionOptions? current)
    {
        if (Enabled == false) return null;
        var options = current ?? new LedgerRetentionOptions();
        if (RawDays is { } raw) options.RawDays = raw;
        if (RollupMonths is { } months) options.RollupMonths = months;
        if (IntervalMinutes is { } minutes) options.Interval = TimeSpan.FromMinutes(minutes);
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (KeepFrom is { } keep && TryParseDate(keep, out var from)) options.KeepFrom = from;
        return options;
    }

    private static bool TryParseDate(string raw, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);
}

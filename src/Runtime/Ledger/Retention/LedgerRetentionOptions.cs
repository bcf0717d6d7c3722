namespace GuardedAI.Retention;

/// <summary>
/// Automatic retention of a ledger (<c>GuardedAI:Sqlite:Retention</c>, <c>GuardedAI:PostgreSql:Retention</c>): a
/// background worker of the host applies the <see cref="RetentionPolicy"/> these settings make every
/// <see cref="Interval"/> — the first time right after the host starts — off the call path, in transactions of at most
/// <see cref="BatchSize"/> rows, and logs what it removed. Nothing the current windows or an open billing period need is
/// ever removed (<see cref="RetentionPolicy.Plan"/>). Every instance may run it: what one removed, another finds gone.
/// </summary>
public sealed class LedgerRetentionOptions
{
    /// <summary>Days of raw records (and audit entries) kept (at least 1). Default 90.</summary>
    public int RawDays { get; set; } = 90;

    /// <summary>Months of the rollups reports fall back on kept (at least 1, covering <see cref="RawDays"/>). Default 25.</summary>
    public int RollupMonths { get; set; } = 25;

    /// <summary>How often retention runs (default 6 hours; at least a minute).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Most rows one cleanup transaction removes (default 5,000).</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>The start of an open or unpaid billing period: nothing from it on is removed. Null: none beyond the current month.</summary>
    public DateTimeOffset? KeepFrom { get; set; }

    /// <summary>The policy these settings make; throws, naming the setting, when one is out of range.</summary>
    public RetentionPolicy ToPolicy()
    {
        foreach (var (setting, value, problem) in Problems()) throw new ArgumentOutOfRangeException(setting, value, $"{setting} {problem}");
        return new RetentionPolicy { RawRecordDays = RawDays, RollupMonths = RollupMonths, BatchSize = BatchSize };
    }

    /// <summary>
    /// Throws a <see cref="GuardedAIConfigurationException"/> naming every setting out of range by its configuration path
    /// under <paramref name="section"/> (e.g. <c>GuardedAI:Sqlite:Retention</c>), as configuration spells it.
    /// </summary>
    internal void ThrowIfInvalid(string section)
    {
        var errors = Problems()
            .Select(p => new ConfigurationError($"{section}:{(p.Setting == nameof(Interval) ? "IntervalMinutes" : p.Setting)}", p.Problem))
            .ToList();
        if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);
    }

    /// <summary>Every setting out of range, with what is wrong.</summary>
    internal IEnumerable<(string Setting, object Value, string Problem)> Problems()
    {
        if (RawDays < 1) yield return (nameof(RawDays), RawDays, $"({RawDays}) must be at least 1.");
        if (RollupMonths < 1) yield return (nameof(RollupMonths), RollupMonths, $"({RollupMonths}) must be at least 1.");
        else if (RollupMonths * 31 < RawDays) yield return (nameof(RollupMonths), RollupMonths, $"({RollupMonths}) must cover at least the {RawDays} days of raw records kept (RawDays).");
        if (Interval < TimeSpan.FromMinutes(1)) yield return (nameof(Interval), Interval, $"({Interval}) must be at least a minute.");
        if (BatchSize < 1) yield return (nameof(BatchSize), BatchSize, $"({BatchSize}) must be at least 1.");
    }
}

namespace GuardedAI.Retention;

/// <summary>
/// How long a ledger keeps what: raw usage records (and audit entries) for <see cref="RawRecordDays"/> days, the
/// rollups reports fall back on for <see cref="RollupMonths"/> months. Nothing the current windows or an open billing
/// period need is ever removed: see <see cref="Plan"/>.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>Days of raw records kept (at least 1). Default 90.</summary>
    public int RawRecordDays { get; init; } = 90;

    /// <summary>Months of rollups kept (at least 1, and never less than the raw records). Default 25.</summary>
    public int RollupMonths { get; init; } = 25;

    /// <summary>Most rows one cleanup transaction removes (default 5,000), so a cleanup never holds the file for long.</summary>
    public int BatchSize { get; init; } = 5_000;

    /// <summary>Throws when a value is out of range, naming it.</summary>
    public void Validate()
    {
        if (RawRecordDays < 1) throw new ArgumentOutOfRangeException(nameof(RawRecordDays), RawRecordDays, "RawRecordDays must be at least 1.");
        if (RollupMonths < 1) throw new ArgumentOutOfRangeException(nameof(RollupMonths), RollupMonths, "RollupMonths must be at least 1.");
        if (RollupMonths * 31 < RawRecordDays) throw new ArgumentOutOfRangeException(nameof(RollupMonths), RollupMonths, $"RollupMonths ({RollupMonths}) must cover at least the {RawRecordDays} days of raw records.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
    }

    /// <summary>
    /// What may go at <paramref name="now"/>: raw records of UTC days before <see cref="RetentionPlan.RawBefore"/>, rollups of
    /// months before <see cref="RetentionPlan.RollupsBefore"/>. Both are moved back, when needed, so that they never reach
    /// into the current calendar windows (the current month in any time zone: the engine restores counters from those
    /// records) or into an open or unpaid billing period starting at <paramref name="keepFrom"/>.
    /// </summary>
    public RetentionPlan Plan(DateTimeOffset now, DateTimeOffset? keepFrom = null)
    {
        Validate();
        var utc = now.UtcDateTime;
        var rawBefore = new DateTimeOffset(utc.Date, TimeSpan.Zero).AddDays(-RawRecordDays);
        // The earliest start of the current month anywhere (UTC+14 starts it 14 hours before UTC does), to the UTC day.
        var windows = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddDays(-1);
        var billing = keepFrom is { } keep ? new DateTimeOffset(keep.UtcDateTime.Date, TimeSpan.Zero) : DateTimeOffset.MaxValue;
        var protect = billing < windows ? billing : windows;
        string? reason = null;
        if (rawBefore > protect)
        {
            reason = billing < windows ? "an open billing period" : "the current month's windows";
            rawBefore = protect;
        }
        var rollupsBefore = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-RollupMonths);
        var protectMonth = new DateTimeOffset(protect.Year, protect.Month, 1, 0, 0, 0, TimeSpan.Zero);
        if (rollupsBefore > protectMonth) rollupsBefore = protectMonth;
        return new RetentionPlan(rawBefore, rollupsBefore, reason);
    }
}

/// <summary>The cut-offs of one cleanup.</summary>
/// <param name="RawBefore">Raw records and audit entries of UTC days before this go.</param>
/// <param name="RollupsBefore">Rollups of hours before this go.</param>
/// <param name="HeldBackBy">When <paramref name="RawBefore"/> was moved back to keep data something still needs, what (for messages); otherwise null.</param>
public sealed record RetentionPlan(DateTimeOffset RawBefore, DateTimeOffset RollupsBefore, string? HeldBackBy);

/// <summary>What a cleanup removed (or, for a preview, would remove).</summary>
/// <param name="Plan">The cut-offs.</param>
/// <param name="Records">Raw usage records.</param>
/// <param name="AuditEntries">Audit entries (they go with their day's chain segment).</param>
/// <param name="Segments">Chain segments removed whole.</param>
/// <param name="RollupRows">Rollup rows.</param>
/// <param name="Batches">Transactions used.</param>
public sealed record RetentionReport(RetentionPlan Plan, long Records, long AuditEntries, long Segments, long RollupRows, int Batches);

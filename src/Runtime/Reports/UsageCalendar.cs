namespace GuardedAI.Reports;

/// <summary>
/// Calendar arithmetic for reports in a time zone: where days, ISO weeks and months start (as UTC instants), so
/// every store and every report splits time the same way. Days in zones with daylight saving are 23 or 25 hours.
/// </summary>
public static class UsageCalendar
{
    /// <summary>The start of the bucket containing <paramref name="instant"/>.</summary>
    public static DateTimeOffset StartOf(UsageBucket bucket, DateTimeOffset instant, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        switch (bucket)
        {
            case UsageBucket.Hour: return WindowCalendar.Start(BudgetWindow.Hour, instant, timeZone);
            case UsageBucket.Day: return WindowCalendar.Start(BudgetWindow.Day, instant, timeZone);
            case UsageBucket.Month: return WindowCalendar.Start(BudgetWindow.Month, instant, timeZone);
            case UsageBucket.Week:
            {
                var day = WindowCalendar.Start(BudgetWindow.Day, instant, timeZone);
                var local = TimeZoneInfo.ConvertTime(day, timeZone);
                var back = ((int)local.DayOfWeek + 6) % 7; // Monday = 0
                return back == 0 ? day : WindowCalendar.Start(BudgetWindow.Day, day.AddDays(-back).AddHours(12), timeZone);
            }
            default: throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "A bucket of None has no start.");
        }
    }

    /// <summary>The start of the bucket after the one containing <paramref name="instant"/>.</summary>
    public static DateTimeOffset NextStart(UsageBucket bucket, DateTimeOffset instant, TimeZoneInfo timeZone)
    {
        switch (bucket)
        {
            case UsageBucket.Hour: return WindowCalendar.End(BudgetWindow.Hour, instant, timeZone);
            case UsageBucket.Day: return WindowCalendar.End(BudgetWindow.Day, instant, timeZone);
            case UsageBucket.Month: return WindowCalendar.End(BudgetWindow.Month, instant, timeZone);
            case UsageBucket.Week:
            {
                var next = StartOf(UsageBucket.Week, instant, timeZone);
                for (var i = 0; i < 7; i++) next = WindowCalendar.End(BudgetWindow.Day, next, timeZone);
                return next;
            }
            default: throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "A bucket of None has no end.");
        }
    }

    /// <summary>
    /// The bucket starts covering <c>[from, to)</c>: the first is <paramref name="from"/> itself (a range may start
    /// mid-bucket), then each bucket start after it and before <paramref name="to"/>. With <see cref="UsageBucket.None"/>,
    /// just <paramref name="from"/>.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> Starts(UsageBucket bucket, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo timeZone)
    {
        var starts = new List<DateTimeOffset> { from };
        if (bucket == UsageBucket.None) return starts;
        for (var next = NextStart(bucket, from, timeZone); next < to; next = NextStart(bucket, next, timeZone))
        {
            starts.Add(next);
            if (starts.Count > 1_000_000) throw new ArgumentException("The range holds more than a million buckets; choose a larger bucket or a shorter range.", nameof(to));
        }
        return starts;
    }

    /// <summary>The period of <paramref name="bucket"/> kind containing <paramref name="instant"/>, as <c>[start, end)</c>.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) PeriodAround(UsageBucket bucket, DateTimeOffset instant, TimeZoneInfo timeZone) =>
        (StartOf(bucket, instant, timeZone), NextStart(bucket, instant, timeZone));
}

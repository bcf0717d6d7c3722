namespace GuardedAI;

/// <summary>
/// Calendar arithmetic for budget windows. A window starts at the beginning of its minute, hour, day or month
/// in the policy's time zone, and ends where the next one starts — so a day in a zone with daylight saving can
/// be 23 or 25 hours long, and a month is as long as that month.
/// </summary>
internal static class WindowCalendar
{
    /// <summary>The start of the window containing <paramref name="instant"/>, as a UTC instant; a null
    /// <paramref name="timeZone"/> is UTC.</summary>
    /// <remarks>UTC, every budget's default, is plain arithmetic: the first use of <see cref="TimeZoneInfo"/> in a process
    /// initialises the time-zone support (~9 ms here, for <see cref="TimeZoneInfo.Utc"/> alone), which the default engine's
    /// first call need not pay.</remarks>
    public static DateTimeOffset Start(BudgetWindow window, DateTimeOffset instant, TimeZoneInfo? timeZone)
    {
        // Every zone offset in use is a whole number of minutes, so minutes align the same everywhere.
        if (timeZone is null || window == BudgetWindow.Minute) return UtcStart(window, instant);

        var local = TimeZoneInfo.ConvertTime(instant, timeZone);
        var wall = window switch
        {
            BudgetWindow.Hour => new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, DateTimeKind.Unspecified),
            BudgetWindow.Day => new DateTime(local.Year, local.Month, local.Day, 0, 0, 0, DateTimeKind.Unspecified),
            BudgetWindow.Month => new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
            _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
        };
        if (window == BudgetWindow.Hour)
        {
            // Hours are not always whole-hour offsets from UTC (India, Nepal…): align on the local wall clock,
            // but keep the instant's own offset so a repeated hour at a DST fall-back stays two windows.
            return new DateTimeOffset(wall, local.Offset).ToUniversalTime();
        }
        return FromWall(wall, timeZone);
    }

    /// <summary>The end of the window containing <paramref name="instant"/> (the next window's start); a null
    /// <paramref name="timeZone"/> is UTC.</summary>
    public static DateTimeOffset End(BudgetWindow window, DateTimeOffset instant, TimeZoneInfo? timeZone)
    {
        var start = Start(window, instant, timeZone);
        switch (window)
        {
            case BudgetWindow.Minute:
                return start.AddMinutes(1);
            case BudgetWindow.Hour:
                return start.AddHours(1);
            // In UTC a day and a month are plain calendar periods.
            case BudgetWindow.Day when timeZone is null:
                return start.AddDays(1);
            case BudgetWindow.Month when timeZone is null:
                return start.AddMonths(1);
            case BudgetWindow.Day:
            {
                var localStart = TimeZoneInfo.ConvertTime(start, timeZone).DateTime.Date;
                return FromWall(localStart.AddDays(1), timeZone);
            }
            case BudgetWindow.Month:
            {
                var localStart = TimeZoneInfo.ConvertTime(start, timeZone).DateTime;
                return FromWall(new DateTime(localStart.Year, localStart.Month, 1).AddMonths(1), timeZone);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(window), window, null);
        }
    }

    /// <summary>The start of a window in UTC, where every period is a plain calendar one.</summary>
    private static DateTimeOffset UtcStart(BudgetWindow window, DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return window switch
        {
            BudgetWindow.Minute => new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero),
            BudgetWindow.Hour => new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero),
            BudgetWindow.Day => new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero),
            BudgetWindow.Month => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
        };
    }

    /// <summary>Converts a local wall-clock time to UTC; a time skipped by a DST jump maps to the first instant after the gap.</summary>
    private static DateTimeOffset FromWall(DateTime wall, TimeZoneInfo timeZone)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        while (timeZone.IsInvalidTime(wall)) wall = wall.AddMinutes(1);
        // For an ambiguous time (fall-back), the earlier instant is the start: that is the larger offset.
        var offset = timeZone.IsAmbiguousTime(wall) ? timeZone.GetAmbiguousTimeOffsets(wall).Max() : timeZone.GetUtcOffset(wall);
        return new DateTimeOffset(wall, offset).ToUniversalTime();
    }
}

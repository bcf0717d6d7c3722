using System.Globalization;
using GuardedAI.Reports;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>The time range a report, export or forecast covers: <c>[From, To)</c> in a time zone, with a label for bills.</summary>
internal sealed record ReportRange(DateTimeOffset From, DateTimeOffset To, TimeZoneInfo Zone, UsageBucket Period, string Label)
{
    /// <summary>
    /// <c>--from</c>/<c>--to</c> when given (a date-only <c>--to</c> includes that whole day), otherwise the current
    /// <paramref name="period"/> (or the one before it with <paramref name="previous"/>).
    /// </summary>
    public static ReportRange Resolve(string period, bool previous, string? from, string? to, TimeZoneInfo zone, DateTimeOffset now)
    {
        var bucket = period.ToLowerInvariant() switch
        {
            "day" => UsageBucket.Day,
            "week" => UsageBucket.Week,
            _ => UsageBucket.Month,
        };
        if (from is null && to is not null) throw CliException.Usage("--to", "needs --from as well (the range is --from to --to).");
        if (from is not null)
        {
            if (previous) throw CliException.Usage("--previous", "cannot be combined with --from/--to.");
            var start = Args.ParseTime(from, "--from", zone, out var fromIsDate);
            DateTimeOffset end;
            var toIsDate = false;
            if (to is null) end = now;
            else
            {
                end = Args.ParseTime(to, "--to", zone, out toIsDate);
                if (toIsDate) end = UsageCalendar.NextStart(UsageBucket.Day, end, zone);
            }
            if (end <= start) throw CliException.Usage("--to", $"must be after --from, but the range {Show(start, zone)} to {Show(end, zone)} is empty.");
            var label = fromIsDate && (to is null || toIsDate)
                ? $"{Date(start, zone)}..{(to is null ? Date(end, zone) : Date(end.AddTicks(-1), zone))}"
                : $"{start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}..{end.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
            return new ReportRange(start, end, zone, UsageBucket.None, label);
        }
        var (periodStart, periodEnd) = UsageCalendar.PeriodAround(bucket, now, zone);
        if (previous) (periodStart, periodEnd) = UsageCalendar.PeriodAround(bucket, periodStart.AddTicks(-1), zone);
        var local = TimeZoneInfo.ConvertTime(periodStart, zone);
        var name = bucket switch
        {
            UsageBucket.Day => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageBucket.Week => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(local.DateTime)}-W{ISOWeek.GetWeekOfYear(local.DateTime):00}"),
            _ => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        };
        return new ReportRange(periodStart, periodEnd, zone, bucket, name);
    }

    private static string Date(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Show(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
}

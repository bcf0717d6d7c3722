using System.Globalization;
using GuardedAI.Cli.Infrastructure;
using Spectre.Console;

namespace GuardedAI.Cli.Output;

/// <summary>Number and time formats for people, and tables that fit the terminal or plain output.</summary>
internal static class Fmt
{
    public static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Usd(decimal value) => "$" + value.ToString(Math.Abs(value) >= 100 ? "#,0.00" : "#,0.0000", CultureInfo.InvariantCulture);

    /// <summary>Money exactly, at least four decimals (the billing format): 0.1050, 0.00000105.</summary>
    public static string Exact(decimal value) => value.ToString("0.0000##########################", CultureInfo.InvariantCulture);

    public static string Ratio(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    public static string Percent(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Plain(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>An instant in UTC to the second, as CSV and JSON exports of whole windows and buckets write it.</summary>
    public static string IsoSeconds(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>An instant as ISO 8601 UTC with all seven fraction digits (a fixed width, for CSV cells that sort as text).</summary>
    public static string Iso(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString(zone == TimeZoneInfo.Utc ? "yyyy-MM-dd HH:mm 'UTC'" : "yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "now";
        if (span.TotalDays >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours}h");
        if (span.TotalHours >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes}m");
        return string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds}s");
    }

    public static Table NewTable(Terminal terminal, params string[] headers)
    {
        var table = new Table { Border = terminal.UsesColor ? TableBorder.Rounded : TableBorder.Ascii };
        foreach (var header in headers)
        {
            var column = new TableColumn(Markup.Escape(header));
            if (header.Length > 0 && (header.Contains("tok", StringComparison.OrdinalIgnoreCase) || header.Contains("USD", StringComparison.Ordinal) ||
                header is "Calls" or "OK" or "Failed" or "Denied" or "Cancelled" or "Requests" or "Ratio" or "Est/act" or "Baseline" or "Spend" or "Score"))
            {
                column.RightAligned();
            }
            table.AddColumn(column);
        }
        return table;
    }

    public static void AddPlainRow(this Table table, params string?[] cells) => table.AddRow(cells.Select(c => Markup.Escape(c ?? "")).ToArray());
}

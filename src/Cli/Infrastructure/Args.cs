using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using GuardedAI.Reports;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>
/// The options several commands share, and the parsing of their values. Every error names the option and says what
/// was wrong and what is accepted.
/// </summary>
internal static class Args
{
    public static Option<string?> Db() => new("--db")
    {
        Description = "The SQLite ledger file (GuardedAI:Sqlite:Path of the application). Default: the GUARDEDAI_DB environment variable.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static Option<string?> Connection() => new("--connection")
    {
        Description = "A connection string instead of --db: a PostgreSQL ledger shared by many instances ('Host=…;Database=…;Username=…;Password=…', schema from 'Search Path', default guardedai; or set GUARDEDAI_CONNECTION so the password stays off the command line), or a SQLite file ('Data Source=PATH').",
        HelpName = "STRING",
        Recursive = true,
    };

    public static Option<bool> NoColor() => new("--no-color")
    {
        Description = "Plain output without colours or animation (also when output is not a terminal, or NO_COLOR is set).",
        Recursive = true,
    };

    public static Option<string> Format(string defaultValue = "table", params string[] allowed) => Choice("--format",
        "Output format: " + string.Join(", ", allowed.Length == 0 ? ["table", "json", "csv"] : allowed) + ".", defaultValue,
        allowed.Length == 0 ? ["table", "json", "csv"] : allowed);

    public static Option<string?> Config() => new("--config")
    {
        Description = "The application's settings file (appsettings.json): budgets, tenants and prices are read from its GuardedAI section, so limits, thresholds and time zones are the application's.",
        HelpName = "FILE",
    };

    public static Option<string?> TimeZone() => new("--tz")
    {
        Description = "The time zone of days, weeks and months (IANA id such as Europe/Berlin). Default: UTC.",
        HelpName = "ZONE",
    };

    public static Option<string?> Now() => new("--now")
    {
        Description = "Evaluate as if it were this time (ISO 8601), for what-if questions and reproducible runs. Default: the clock.",
        HelpName = "TIME",
    };

    /// <summary>A string option that accepts one of <paramref name="values"/> (case-insensitive) and names itself when given another.</summary>
    public static Option<string> Choice(string name, string description, string defaultValue, IReadOnlyList<string> values)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join('|', values),
            DefaultValueFactory = _ => defaultValue,
        };
        option.CompletionSources.Add(values.ToArray());
        option.Validators.Add(result => Validate(result, name, values));
        return option;
    }

    private static void Validate(OptionResult result, string name, IReadOnlyList<string> values)
    {
        foreach (var token in result.Tokens)
        {
            if (!values.Contains(token.Value, StringComparer.OrdinalIgnoreCase))
                result.AddError($"{name}: '{token.Value}' is not one of {string.Join(", ", values)}.");
        }
    }

    public static OutputFormat ParseFormat(string value) => Enum.Parse<OutputFormat>(value, ignoreCase: true);

    /// <summary>Resolves a time zone id, naming the option when it is unknown.</summary>
    public static TimeZoneInfo ParseTimeZone(string? id, string option = "--tz")
    {
        if (string.IsNullOrWhiteSpace(id) || id.Equals("UTC", StringComparison.OrdinalIgnoreCase)) return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw CliException.Usage(option, $"'{id}' is not a time zone this machine knows (use an IANA id such as Europe/Berlin, or UTC).");
        }
    }

    /// <summary>
    /// A point in time: an ISO 8601 time with an offset (<c>2025-12-01T10:00:00Z</c>), or a date or local time that is
    /// read in <paramref name="zone"/>. <paramref name="isDate"/> says whether only a date was given.
    /// </summary>
    public static DateTimeOffset ParseTime(string value, string option, TimeZoneInfo zone, out bool isDate)
    {
        isDate = false;
        var text = value.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            isDate = true;
            return UsageCalendar.StartOf(UsageBucket.Day, LocalToInstant(date.ToDateTime(new TimeOnly(12, 0)), zone), zone);
        }
        if (HasOffset(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant)) return instant;
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return LocalToInstant(local, zone);
        throw CliException.Usage(option, $"'{value}' is not a date or time (use YYYY-MM-DD, or ISO 8601 such as 2025-12-01T10:00:00Z).");
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && (text[^6] == '+' || text[^6] == '-') && text[^3] == ':');

    private static DateTimeOffset LocalToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(1);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>A non-negative decimal, naming the option when it is not.</summary>
    public static decimal ParseDecimal(string value, string option, decimal min, decimal max)
    {
        if (!decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
            throw CliException.Usage(option, $"'{value}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        return number;
    }

    public static BudgetWindow ParseWindow(string value) => value.ToLowerInvariant() switch
    {
        "minute" => BudgetWindow.Minute,
        "hour" => BudgetWindow.Hour,
        "day" => BudgetWindow.Day,
        _ => BudgetWindow.Month,
    };
}

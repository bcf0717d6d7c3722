using System.Globalization;

namespace GuardedAI;

/// <summary>
/// What one configuration value may be: its kind, its range, and the words an error uses for it ("a whole number
/// from 1 to 1,000"). Values are read as the configuration binder reads them (invariant culture, surrounding blanks
/// ignored), only stricter: no hexadecimal, no numeric enum values, no NaN. An empty value means "not set" unless
/// the value is <see cref="NonEmpty"/>; a <see cref="Secret"/> value is never repeated in an error.
/// </summary>
public sealed class ConfigurationValue
{
    private readonly Func<string, bool> _accepts;

    private ConfigurationValue(string expected, Func<string, bool> accepts, bool nonEmpty = false, bool secret = false)
    {
        Expected = expected;
        _accepts = accepts;
        IsNonEmpty = nonEmpty;
        IsSecret = secret;
    }

    /// <summary>What the value must be, for messages: "a whole number from 1 to 1,000".</summary>
    public string Expected { get; }

    /// <summary>Whether an empty value is an error rather than "not set" (for settings that have no "not set").</summary>
    public bool IsNonEmpty { get; }

    /// <summary>Whether errors must not repeat the value (URLs with tokens, passwords, connection strings).</summary>
    public bool IsSecret { get; }

    /// <summary>The same value, but an empty one is an error.</summary>
    public ConfigurationValue NonEmpty => new(Expected, _accepts, nonEmpty: true, IsSecret);

    /// <summary>The same value, never repeated in an error.</summary>
    public ConfigurationValue Secret => new(Expected, _accepts, IsNonEmpty, secret: true);

    /// <summary>Any text.</summary>
    public static ConfigurationValue Text { get; } = new("text", _ => true);

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static ConfigurationValue Boolean { get; } = new("true or false", raw => bool.TryParse(raw, out _));

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ConfigurationValue Integer(long min, long max) => new(
        string.Create(CultureInfo.InvariantCulture, $"a whole number from {min:#,0} to {max:#,0}"),
        raw => long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max);

    /// <summary>A decimal number above <paramref name="min"/> (or at least it, when <paramref name="minInclusive"/>) and at most <paramref name="max"/>.</summary>
    public static ConfigurationValue Decimal(decimal min, bool minInclusive, decimal max) => new(
        string.Create(CultureInfo.InvariantCulture, $"a number {(minInclusive ? "from" : "above")} {min} {(minInclusive ? "to" : "and at most")} {max:#,0.##}"),
        raw => decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && (minInclusive ? value >= min : value > min) && value <= max);

    /// <summary>A number above <paramref name="min"/> and at most <paramref name="max"/>.</summary>
    public static ConfigurationValue Number(double min, double max) => new(
        string.Create(CultureInfo.InvariantCulture, $"a number above {min} and at most {max}"),
        raw => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > min && value <= max);

    /// <summary>One of the names of <typeparamref name="TEnum"/> (any letter case); <paramref name="noun"/> names the kind in messages ("tier").</summary>
    public static ConfigurationValue OneOf<TEnum>(string noun) where TEnum : struct, Enum
    {
        var names = Enum.GetNames<TEnum>();
        return new($"{noun}: one of {string.Join(", ", names)}",
            raw => Array.Exists(names, name => string.Equals(name, raw.Trim(), StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>An absolute <c>http</c> or <c>https</c> URL.</summary>
    public static ConfigurationValue HttpUrl { get; } = new("an absolute http or https URL",
        raw => Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));

    /// <summary>An IANA or Windows time zone id known on this machine.</summary>
    public static ConfigurationValue TimeZoneId { get; } = new("an IANA or Windows time zone id known on this machine (e.g. Europe/Berlin)",
        raw => TimeZoneInfo.TryFindSystemTimeZoneById(raw.Trim(), out _));

    /// <summary>A value <paramref name="accepts"/> says is good; <paramref name="expected"/> describes it.</summary>
    public static ConfigurationValue Custom(string expected, Func<string, bool> accepts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expected);
        ArgumentNullException.ThrowIfNull(accepts);
        return new(expected, accepts);
    }

    internal bool Accepts(string raw) => _accepts(raw);
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace GuardedAI.Cli.Import;

/// <summary>
/// Reads an access-log line in common (or combined) log format, as reference 003's proxy writes it:
/// <c>10.0.0.1 - - [25/Dec/2025:10:30:00 +0000] "POST /v1/messages HTTP/1.1" 200 1234 "-" "anthropic-sdk/0.1.0"</c>.
/// Such a line says that a call was made, to which endpoint, with which client and outcome, but not which model or
/// how many tokens; proxies that add them write <c>key=value</c> fields after the user agent
/// (<c>model=claude-3-sonnet input_tokens=1500 output_tokens=500 request_id=…</c>), and those are read too.
/// </summary>
internal static partial class CommonLogParser
{
    [GeneratedRegex("""^(?<host>\S+) (?<ident>\S+) (?<user>\S+) \[(?<time>[^\]]+)\] "(?<request>[^"]*)" (?<status>\S+) (?<size>\S+)(?: "(?<referer>[^"]*)" "(?<agent>[^"]*)")?(?<rest>.*)$""", RegexOptions.CultureInvariant)]
    private static partial Regex Line();

    [GeneratedRegex("""(?<key>[A-Za-z_][A-Za-z0-9_.-]*)=(?:"(?<quoted>[^"]*)"|(?<value>\S*))""", RegexOptions.CultureInvariant)]
    private static partial Regex Field();

    /// <summary>Whether <paramref name="text"/> looks like a common-log line at all (for format detection).</summary>
    public static bool Looks(string text) => text.Contains(" [", StringComparison.Ordinal) && text.Contains("] \"", StringComparison.Ordinal);

    public static LogLine Parse(string text)
    {
        var match = Line().Match(text);
        if (!match.Success) throw new LineRejected("not-a-log-line", "neither a JSON object nor a common log format line");
        var line = new LogLine { Format = "clf" };
        line.Timestamp = Time(match.Groups["time"].Value);
        var request = match.Groups["request"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (request.Length < 2) throw new LineRejected("wrong-type", $"the request \"{JsonLineParser.Short(match.Groups["request"].Value)}\" has no method and path");
        line.Path = request[1];
        if (!int.TryParse(match.Groups["status"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
            throw new LineRejected("wrong-type", $"the status '{JsonLineParser.Short(match.Groups["status"].Value)}' is not an HTTP status (100-599)");
        line.HttpStatus = status;
        if (match.Groups["agent"].Success && match.Groups["agent"].Value is { Length: > 0 } agent && agent != "-") line.UserAgent = agent;

        long? input = null, output = null;
        foreach (Match field in Field().Matches(match.Groups["rest"].Value))
        {
            var key = field.Groups["key"].Value.ToLowerInvariant();
            var value = field.Groups["quoted"].Success ? field.Groups["quoted"].Value : field.Groups["value"].Value;
            switch (key)
            {
                case "model": line.Model = value.Length == 0 || value == "-" ? null : value; break;
                case "provider": line.Provider = value.Length == 0 || value == "-" ? null : value; break;
                case "request_id" or "requestid" or "id": line.RequestId = value.Length == 0 || value == "-" ? null : value; break;
                case "tenant" or "customer_id": line.Tenant = value.Length == 0 || value == "-" ? null : value; break;
                case "input_tokens" or "prompt_tokens": input = Tokens(key, value); break;
                case "output_tokens" or "completion_tokens": output = Tokens(key, value); break;
                case "cached_tokens" or "cache_read_input_tokens": line.CachedInputTokens = Tokens(key, value); break;
                case "reasoning_tokens": line.ReasoningTokens = Tokens(key, value); break;
                case "duration_ms": line.DurationMs = Tokens(key, value); break;
            }
        }
        line.HasTokens = input is not null || output is not null;
        line.InputTokens = input ?? 0;
        line.OutputTokens = output ?? 0;
        if (line.CachedInputTokens > line.InputTokens) throw new LineRejected("wrong-type", $"cached tokens ({line.CachedInputTokens}) exceed the input tokens ({line.InputTokens})");
        if (line.ReasoningTokens > line.OutputTokens) throw new LineRejected("wrong-type", $"reasoning tokens ({line.ReasoningTokens}) exceed the output tokens ({line.OutputTokens})");
        return line;
    }

    private static long Tokens(string key, string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1_000_000_000) return n;
        throw new LineRejected("wrong-type", $"'{key}' must be a whole number from 0 to 1,000,000,000, but is '{JsonLineParser.Short(value)}'");
    }

    private static DateTimeOffset Time(string text)
    {
        // 25/Dec/2025:10:30:00 +0000
        if (text.Length == 26 && text[20] == ' ' &&
            DateTime.TryParseExact(text[..20], "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) &&
            (text[21] == '+' || text[21] == '-') &&
            int.TryParse(text.AsSpan(22, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours) &&
            int.TryParse(text.AsSpan(24, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) && hours <= 14 && minutes < 60)
        {
            var offset = new TimeSpan(hours, minutes, 0) * (text[21] == '-' ? -1 : 1);
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }
        throw new LineRejected("wrong-type", $"the time '[{JsonLineParser.Short(text)}]' is not dd/MMM/yyyy:HH:mm:ss +zzzz");
    }
}

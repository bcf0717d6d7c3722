using System.Globalization;
using System.Text.Json;

namespace GuardedAI.Cli.Import;

/// <summary>
/// Reads a JSON-lines proxy log entry (reference 003's format: <c>timestamp</c>, <c>path</c>, <c>status</c>, <c>model</c>,
/// <c>input_tokens</c>, <c>output_tokens</c>) and the common variants: OpenAI's <c>prompt_tokens</c>/<c>completion_tokens</c>,
/// a nested <c>usage</c> object, cache and reasoning counts, a request id, tenant, duration. Unknown fields are ignored;
/// a known field with a value of the wrong type rejects the line, naming the field.
/// </summary>
internal static class JsonLineParser
{
    private const long MaxTokens = 1_000_000_000;

    public static LogLine Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new LineRejected("malformed-json", $"truncated or malformed JSON ({Short(ex.Message)})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new LineRejected("malformed-json", $"a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            var line = new LogLine { Format = "json" };
            line.Timestamp = Timestamp(root);
            line.Model = Text(root, "model");
            line.Provider = Text(root, "provider");
            line.Path = Text(root, "path") ?? Text(root, "url") ?? Text(root, "endpoint");
            line.UserAgent = Text(root, "user_agent") ?? Text(root, "userAgent") ?? Text(root, "ua");
            line.RequestId = Text(root, "request_id") ?? Text(root, "requestId") ?? Text(root, "id");
            line.Tenant = Text(root, "tenant") ?? Text(root, "customer_id") ?? Text(root, "customer");
            line.Budget = Text(root, "budget");
            line.ConversationId = Text(root, "conversation_id");
            line.RunId = Text(root, "run_id");
            line.DurationMs = Count(root, "duration_ms", long.MaxValue / TimeSpan.TicksPerMillisecond) ?? 0;
            ReadStatus(root, line);
            var usage = root.TryGetProperty("usage", out var u) ? u : default;
            if (usage.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object or JsonValueKind.Null))
                throw new LineRejected("wrong-type", $"'usage' must be an object, but is {Raw(usage)}");
            var input = Tokens(root, usage, "input_tokens", "prompt_tokens", "request_tokens");
            var output = Tokens(root, usage, "output_tokens", "completion_tokens", "response_tokens");
            line.HasTokens = input is not null || output is not null;
            line.InputTokens = input ?? 0;
            line.OutputTokens = output ?? 0;
            line.CachedInputTokens = Tokens(root, usage, "cache_read_input_tokens", "cached_input_tokens", "cached_tokens") ?? 0;
            line.CacheWriteInputTokens = Tokens(root, usage, "cache_creation_input_tokens", "cache_write_input_tokens") ?? 0;
            line.ReasoningTokens = Tokens(root, usage, "reasoning_tokens") ?? 0;
            // Anthropic reports cache reads and writes beside input_tokens; OpenAI counts cached tokens inside prompt_tokens.
            if (root.TryGetProperty("cache_read_input_tokens", out _) || (usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("cache_read_input_tokens", out _)))
            {
                line.InputTokens += line.CachedInputTokens + line.CacheWriteInputTokens;
            }
            if (line.CachedInputTokens + line.CacheWriteInputTokens > line.InputTokens)
                throw new LineRejected("wrong-type", $"cached and cache-write tokens ({line.CachedInputTokens + line.CacheWriteInputTokens}) exceed the input tokens ({line.InputTokens})");
            if (line.ReasoningTokens > line.OutputTokens)
                throw new LineRejected("wrong-type", $"reasoning tokens ({line.ReasoningTokens}) exceed the output tokens ({line.OutputTokens})");
            return line;
        }
    }

    private static DateTimeOffset Timestamp(JsonElement root)
    {
        foreach (var name in new[] { "timestamp", "time", "ts", "@timestamp" })
        {
            if (!root.TryGetProperty(name, out var value)) continue;
            if (value.ValueKind == JsonValueKind.String)
            {
                var text = value.GetString()!;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && at.Year is >= 2000 and <= 2200) return at;
                throw new LineRejected("wrong-type", $"'{name}' must be an ISO 8601 time, but is \"{Short(text)}\"");
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var epoch) && epoch > 0)
            {
                // Seconds or milliseconds since 1970, whichever gives a plausible date.
                var at = epoch > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : DateTimeOffset.FromUnixTimeSeconds(epoch);
                if (at.Year is >= 2000 and <= 2200) return at;
            }
            throw new LineRejected("wrong-type", $"'{name}' must be an ISO 8601 time or Unix seconds, but is {Raw(value)}");
        }
        throw new LineRejected("missing-field", "no 'timestamp'");
    }

    private static void ReadStatus(JsonElement root, LogLine line)
    {
        if (!root.TryGetProperty("status", out var status) && !root.TryGetProperty("status_code", out status)) return;
        switch (status.ValueKind)
        {
            case JsonValueKind.Number when status.TryGetInt32(out var code) && code is >= 100 and <= 599:
                line.HttpStatus = code;
                return;
            case JsonValueKind.String when status.GetString() is { } text:
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 100 and <= 599) { line.HttpStatus = parsed; return; }
                if (text.Equals("success", StringComparison.OrdinalIgnoreCase) || text.Equals("ok", StringComparison.OrdinalIgnoreCase)) { line.Failed = false; return; }
                if (text.Equals("error", StringComparison.OrdinalIgnoreCase) || text.Equals("failed", StringComparison.OrdinalIgnoreCase)) { line.Failed = true; return; }
                break;
            case JsonValueKind.Null:
                return;
        }
        throw new LineRejected("wrong-type", $"'status' must be an HTTP status (100-599) or success/error, but is {Raw(status)}");
    }

    private static long? Tokens(JsonElement root, JsonElement usage, params string[] names)
    {
        foreach (var name in names)
        {
            if (Count(root, name, MaxTokens) is { } top) return top;
            if (usage.ValueKind == JsonValueKind.Object && Count(usage, name, MaxTokens) is { } nested) return nested;
        }
        return null;
    }

    private static long? Count(JsonElement obj, string name, long max)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0 && n <= max) return n;
        throw new LineRejected("wrong-type", $"'{name}' must be a whole number from 0 to {max.ToString("N0", CultureInfo.InvariantCulture)}, but is {Raw(value)}");
    }

    private static string? Text(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new LineRejected("wrong-type", $"'{name}' must be a string, but is {Raw(value)}");
        var text = value.GetString()!.Trim();
        if (text.Length > 512) throw new LineRejected("wrong-type", $"'{name}' is {text.Length} characters long; at most 512 are accepted");
        return text.Length == 0 ? null : text;
    }

    private static string Raw(JsonElement value) => Short(value.GetRawText());

    internal static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}

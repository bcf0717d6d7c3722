namespace GuardedAI.Cli.Import;

/// <summary>
/// Which provider a logged call went to: the line's own <c>provider</c>, else the API path (<c>/v1/messages</c> is
/// Anthropic's, <c>/v1/chat/completions</c> OpenAI's, <c>…:generateContent</c> Google's), else the client's user agent,
/// else the model's family, else the price table's entry for the model.
/// </summary>
internal static class ProviderDetector
{
    public static string? Detect(LogLine line, PriceLookup? price)
    {
        if (line.Provider is { } explicitProvider) return explicitProvider.ToLowerInvariant();
        if (FromPath(line.Path) is { } byPath) return byPath;
        if (FromUserAgent(line.UserAgent) is { } byAgent) return byAgent;
        if (FromModel(line.Model) is { } byModel) return byModel;
        return price?.Price.Provider?.ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="path"/> is an LLM API endpoint this tool knows.</summary>
    public static bool IsLlmPath(string? path) => FromPath(path) is not null;

    private static string? FromPath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        var p = path.Split('?', 2)[0].ToLowerInvariant();
        if (p.EndsWith("/v1/messages", StringComparison.Ordinal) || p.EndsWith("/v1/complete", StringComparison.Ordinal) || p.Contains("/v1/messages/", StringComparison.Ordinal)) return "anthropic";
        if (p.Contains(":generatecontent", StringComparison.Ordinal) || p.Contains(":streamgeneratecontent", StringComparison.Ordinal) || p.Contains(":embedcontent", StringComparison.Ordinal)
            || p.Contains("/v1beta/models", StringComparison.Ordinal)) return "google";
        if (p.EndsWith("/chat/completions", StringComparison.Ordinal) || p.EndsWith("/v1/completions", StringComparison.Ordinal) || p.EndsWith("/v1/embeddings", StringComparison.Ordinal)
            || p.EndsWith("/v1/responses", StringComparison.Ordinal)) return "openai";
        return null;
    }

    private static string? FromUserAgent(string? agent)
    {
        if (string.IsNullOrEmpty(agent)) return null;
        var a = agent.ToLowerInvariant();
        if (a.Contains("anthropic", StringComparison.Ordinal) || a.Contains("claude", StringComparison.Ordinal)) return "anthropic";
        if (a.Contains("google-genai", StringComparison.Ordinal) || a.Contains("gemini", StringComparison.Ordinal) || a.Contains("google-api", StringComparison.Ordinal)) return "google";
        if (a.Contains("openai", StringComparison.Ordinal)) return "openai";
        return null;
    }

    private static string? FromModel(string? model)
    {
        if (string.IsNullOrEmpty(model)) return null;
        var m = model.ToLowerInvariant();
        var slash = m.IndexOf('/');
        if (slash > 0) m = m[(slash + 1)..];
        if (m.StartsWith("claude", StringComparison.Ordinal)) return "anthropic";
        if (m.StartsWith("gemini", StringComparison.Ordinal)) return "google";
        if (m.StartsWith("gpt", StringComparison.Ordinal) || m.StartsWith("o1", StringComparison.Ordinal) || m.StartsWith("o3", StringComparison.Ordinal)
            || m.StartsWith("o4", StringComparison.Ordinal) || m.StartsWith("text-embedding", StringComparison.Ordinal) || m.StartsWith("chatgpt", StringComparison.Ordinal)) return "openai";
        if (m.StartsWith("mistral", StringComparison.Ordinal) || m.StartsWith("codestral", StringComparison.Ordinal)) return "mistral";
        return null;
    }
}

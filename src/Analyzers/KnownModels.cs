using System;

namespace GuardedAI.Analyzers;

/// <summary>
/// The model families whose price and tokenizer GuardedAI knows (GAI003). A family prefix matches the id itself, a
/// version or variant after it (<c>gpt-4o-mini</c>, <c>llama3.1</c>) and date suffixes (<c>gpt-4o-2024-08-06</c>).
/// </summary>
internal static class KnownModels
{
    // Longest first is not needed: any match is enough.
    private static readonly string[] Families =
    {
        "gpt-4o", "gpt-4.1", "gpt-4", "gpt-3.5", "gpt-5", "o1", "o3", "o4", "text-embedding-3",
        "claude-", "gemini-", "mistral-", "ministral-", "codestral-", "llama",
    };

    public static bool IsKnown(string model)
    {
        var id = model.Trim();
        // "openai/gpt-4o", "anthropic/claude-3-5-sonnet": a provider prefix does not change the model.
        var slash = id.LastIndexOf('/');
        if (slash >= 0)
            id = id.Substring(slash + 1);

        foreach (var family in Families)
        {
            if (!id.StartsWith(family, StringComparison.OrdinalIgnoreCase))
                continue;
            if (id.Length == family.Length || family.EndsWith("-", StringComparison.Ordinal))
                return true;
            // "o1" must not match "o1x"; "o1-mini", "gpt-4o-2024-08-06", "llama3.1", "gpt-4.5" are fine.
            var next = id[family.Length];
            if (next is '-' or '.' or ':' or '_' || char.IsDigit(next))
                return true;
        }
        return false;
    }
}

// The one routine that turns a model id as a caller writes it into the ids to look it up by. The runtime's price
// catalogue (src/Runtime/Pricing) resolves prices through it and GAI003 (src/Analyzers/KnownModels.cs) decides
// "known model" through it, over the same ids (src/Shared/KnownModelIds.g.cs is generated from prices.json), so the
// build stays silent exactly when the runtime finds a price. Compiled into both; keep it netstandard2.0-compatible.
using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace GuardedAI.Schema;

internal static class ModelIdNormalizer
{
    // A date stamp at the end: -2024-08-06, -20241022, @20241022, optionally followed by a version (-v1, -v2:0).
    private static readonly Regex s_dateSuffix = new(@"([-@](\d{4}-\d{2}-\d{2}|\d{8}))(-v\d+(:\d+)?)?$", RegexOptions.CultureInvariant);

    /// <summary>Removes a provider prefix such as <c>openai/</c> or <c>models/</c> (everything up to the last slash).</summary>
    public static string StripProvider(string model)
    {
        var slash = model.LastIndexOf('/');
        return slash >= 0 ? model.Substring(slash + 1) : model;
    }

    /// <summary>
    /// The ids to look <paramref name="model"/> up by, most specific first: the trimmed id, without its provider
    /// prefix, without a date stamp, without <c>-latest</c>. Each is looked up as an alias first, then as an id,
    /// case-insensitively; the first hit wins.
    /// </summary>
    public static List<string> Candidates(string model)
    {
        var candidates = new List<string>(4);
        var id = model.Trim();
        candidates.Add(id);
        var bare = StripProvider(id);
        if (bare != id) candidates.Add(bare);
        var undated = s_dateSuffix.Replace(bare, string.Empty);
        if (undated != bare) candidates.Add(undated);
        if (undated.EndsWith("-latest", StringComparison.OrdinalIgnoreCase)) candidates.Add(undated.Substring(0, undated.Length - "-latest".Length));
        return candidates;
    }
}

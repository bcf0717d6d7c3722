using System.Text.RegularExpressions;

namespace GuardedAI;

/// <summary>Normalizes model ids: provider prefixes, date stamps and "-latest" suffixes.</summary>
public static partial class ModelIds
{
    /// <summary>Removes a provider prefix such as <c>openai/</c> or <c>models/</c>.</summary>
    public static string StripProvider(string model)
    {
        var slash = model.LastIndexOf('/');
        return slash >= 0 ? model[(slash + 1)..] : model;
    }

    /// <summary>The candidates to look a model up by, most specific first: the id, without provider, without a
    /// date stamp (<c>-2024-08-06</c>, <c>-20241022</c>, <c>@20241022</c>), without <c>-latest</c>.</summary>
    public static IEnumerable<string> Candidates(string model)
    {
        var id = model.Trim();
        yield return id;
        var bare = StripProvider(id);
        if (bare != id) yield return bare;
        var undated = DateSuffix().Replace(bare, string.Empty);
        if (undated != bare) yield return undated;
        if (undated.EndsWith("-latest", StringComparison.OrdinalIgnoreCase)) yield return undated[..^"-latest".Length];
    }

    [GeneratedRegex(@"([-@](\d{4}-\d{2}-\d{2}|\d{8}))(-v\d+(:\d+)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DateSuffix();
}

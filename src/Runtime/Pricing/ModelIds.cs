using GuardedAI.Schema;

namespace GuardedAI;

/// <summary>Normalizes model ids: provider prefixes, date stamps and "-latest" suffixes.</summary>
/// <remarks>The rules live in src/Shared/ModelIdNormalizer.cs, which GAI003 compiles too: the build calls a model
/// unknown exactly when this resolution finds no price for it.</remarks>
public static class ModelIds
{
    /// <summary>Removes a provider prefix such as <c>openai/</c> or <c>models/</c>.</summary>
    public static string StripProvider(string model) => ModelIdNormalizer.StripProvider(model);

    /// <summary>The candidates to look a model up by, most specific first: the id, without provider, without a
    /// date stamp (<c>-2024-08-06</c>, <c>-20241022</c>, <c>@20241022</c>), without <c>-latest</c>.</summary>
    public static IEnumerable<string> Candidates(string model) => ModelIdNormalizer.Candidates(model);
}

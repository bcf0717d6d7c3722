using System;
using System.Collections.Generic;
using GuardedAI.Schema;

namespace GuardedAI.Analyzers;

/// <summary>
/// The models whose price GuardedAI knows (GAI003): exactly those the runtime's embedded price table resolves. The ids
/// come from src/Shared/KnownModelIds.g.cs (generated from src/Runtime/Pricing/prices.json) and are resolved like
/// <c>PriceCatalog.Resolve</c> does: for each candidate of src/Shared/ModelIdNormalizer.cs (the id, without a provider
/// prefix, without a date stamp, without <c>-latest</c>), an alias first, then the id, case-insensitively.
/// </summary>
internal static class KnownModels
{
    private static readonly HashSet<string> s_models = new(KnownModelIds.Models, StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<string, string> s_aliases = CreateAliases();

    public static bool IsKnown(string model)
    {
        foreach (var candidate in ModelIdNormalizer.Candidates(model))
        {
            var id = s_aliases.TryGetValue(candidate, out var target) ? target : candidate;
            if (s_models.Contains(id))
                return true;
        }
        return false;
    }

    private static Dictionary<string, string> CreateAliases()
    {
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in KnownModelIds.Aliases)
            aliases[pair[0]] = pair[1];
        return aliases;
    }
}

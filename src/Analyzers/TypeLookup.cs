using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>Finds catalogue types in a compilation.</summary>
internal static class TypeLookup
{
    /// <summary>
    /// Every type of that metadata name the compilation can use. <c>GetTypeByMetadataName</c> returns null when two
    /// referenced assemblies define the same name (Microsoft.Extensions.AI.ChatClientExtensions is declared by both
    /// Microsoft.Extensions.AI.Abstractions and Microsoft.Agents.AI), which would silently drop entry points.
    /// </summary>
    public static ImmutableArray<INamedTypeSymbol> All(Compilation compilation, string metadataName)
    {
        var found = compilation.GetTypesByMetadataName(metadataName);
        if (found.Length <= 1)
            return found;
        var builder = ImmutableArray.CreateBuilder<INamedTypeSymbol>(found.Length);
        foreach (var type in found)
        {
            if (compilation.IsSymbolAccessibleWithin(type, compilation.Assembly))
                builder.Add(type);
        }
        return builder.ToImmutable();
    }
}

using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>Keys entry points by the type that declares them (or that an extension extends) and their name.</summary>
internal sealed class OwnerAndNameComparer : IEqualityComparer<(INamedTypeSymbol Owner, string Name)>
{
    public static readonly OwnerAndNameComparer Instance = new();

    public bool Equals((INamedTypeSymbol Owner, string Name) x, (INamedTypeSymbol Owner, string Name) y) =>
        SymbolEqualityComparer.Default.Equals(x.Owner, y.Owner) && string.Equals(x.Name, y.Name, StringComparison.Ordinal);

    public int GetHashCode((INamedTypeSymbol Owner, string Name) obj) =>
        SymbolEqualityComparer.Default.GetHashCode(obj.Owner) * 31 + StringComparer.Ordinal.GetHashCode(obj.Name);
}

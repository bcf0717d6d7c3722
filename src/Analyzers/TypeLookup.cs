using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>Finds catalogue types in one compilation.</summary>
/// <remarks>
/// Issue 16: <c>GetTypesByMetadataName</c> asks every referenced assembly in turn, ~0.2–0.4 ms a name in a project of
/// ~190 references, and the catalogue's rows name a type 56 times, most of them in SDKs a project does not reference (OpenAI,
/// Anthropic, Semantic Kernel, the Agent Framework). A namespace that no assembly of the compilation declares is found
/// missing in the compilation's merged global namespace with a few dictionary lookups, so those names cost next to nothing.
/// Not thread-safe: one per compilation-start action, which runs on one thread.
/// </remarks>
internal sealed class TypeLookup
{
    private readonly Compilation _compilation;
    private readonly Dictionary<string, INamespaceSymbol?> _namespaces = new(StringComparer.Ordinal);

    /// <summary>
    /// An assembly referenced only under an extern alias is not in the global namespace, yet
    /// <c>GetTypesByMetadataName</c> finds its types (and a call through them is a call to a model): with such a
    /// reference every name is asked of every assembly, as before.
    /// </summary>
    private readonly bool _globalNamespaceHasEveryAssembly;

    public TypeLookup(Compilation compilation)
    {
        _compilation = compilation;
        _globalNamespaceHasEveryAssembly = true;
        foreach (var reference in compilation.References)
        {
            var aliases = reference.Properties.Aliases;
            if (!aliases.IsEmpty && !aliases.Contains(MetadataReferenceProperties.GlobalAlias))
            {
                _globalNamespaceHasEveryAssembly = false;
                break;
            }
        }
    }

    /// <summary>
    /// Every type of that metadata name the compilation can use. <c>GetTypeByMetadataName</c> returns null when two
    /// referenced assemblies define the same name (Microsoft.Extensions.AI.ChatClientExtensions is declared by both
    /// Microsoft.Extensions.AI.Abstractions and Microsoft.Agents.AI), which would silently drop entry points.
    /// </summary>
    public ImmutableArray<INamedTypeSymbol> All(string metadataName)
    {
        if (_globalNamespaceHasEveryAssembly && Namespace(NamespaceOf(metadataName)) is null)
            return ImmutableArray<INamedTypeSymbol>.Empty;

        var found = _compilation.GetTypesByMetadataName(metadataName);
        if (found.Length <= 1)
            return found;
        var builder = ImmutableArray.CreateBuilder<INamedTypeSymbol>(found.Length);
        foreach (var type in found)
        {
            if (_compilation.IsSymbolAccessibleWithin(type, _compilation.Assembly))
                builder.Add(type);
        }
        return builder.ToImmutable();
    }

    /// <summary>The namespace of a metadata name: <c>OpenAI.Chat</c> for <c>OpenAI.Chat.ChatClient</c> and for a type nested in it
    /// (<c>OpenAI.Chat.ChatClient+Options</c>); empty for a type of the global namespace.</summary>
    internal static string NamespaceOf(string metadataName)
    {
        var nested = metadataName.IndexOf('+');
        var topLevel = nested < 0 ? metadataName : metadataName.Substring(0, nested);
        var lastDot = topLevel.LastIndexOf('.');
        return lastDot < 0 ? string.Empty : topLevel.Substring(0, lastDot);
    }

    /// <summary>The merged namespace <paramref name="name"/> (<c>A.B.C</c>) of the source and the assemblies of the global
    /// namespace, or null when none of them declares it.</summary>
    private INamespaceSymbol? Namespace(string name)
    {
        if (name.Length == 0)
            return _compilation.GlobalNamespace;
        if (_namespaces.TryGetValue(name, out var known))
            return known;

        var lastDot = name.LastIndexOf('.');
        var container = lastDot < 0 ? _compilation.GlobalNamespace : Namespace(name.Substring(0, lastDot));
        INamespaceSymbol? found = null;
        if (container is not null)
        {
            foreach (var member in container.GetMembers(name.Substring(lastDot + 1)))
            {
                if (member is INamespaceSymbol child)
                {
                    found = child;
                    break;
                }
            }
        }
        _namespaces[name] = found;
        return found;
    }
}

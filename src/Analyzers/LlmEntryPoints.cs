using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// The methods of one compilation that call a model: the built-in catalog plus the project's
/// <c>GuardedAI.EntryPoints.txt</c>. Built once per compilation; <see cref="Match"/> is called for every invocation and
/// starts with a name lookup so that the common case costs one hash probe.
/// </summary>
internal sealed class LlmEntryPoints
{
    private readonly HashSet<string> _names;
    private readonly HashSet<IMethodSymbol> _methods;
    private readonly Dictionary<IMethodSymbol, string> _advice;
    private readonly HashSet<IMethodSymbol> _builtIn;
    private readonly IAssemblySymbol _assembly;
    private readonly ImmutableArray<INamedTypeSymbol> _interfaces;
    private readonly HashSet<INamedTypeSymbol> _declaringTypes = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<(INamedTypeSymbol Owner, string Name), IMethodSymbol> _byOwnerAndName = new(OwnerAndNameComparer.Instance);
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _clientTypes = new(SymbolEqualityComparer.Default);

    private LlmEntryPoints(
        HashSet<string> names, HashSet<IMethodSymbol> methods, Dictionary<IMethodSymbol, string> advice, HashSet<IMethodSymbol> builtIn,
        IAssemblySymbol assembly, ImmutableArray<INamedTypeSymbol> interfaces)
    {
        _names = names;
        _methods = methods;
        _advice = advice;
        _builtIn = builtIn;
        _assembly = assembly;
        _interfaces = interfaces;
        foreach (var method in methods)
        {
            // An extension's receiver type is where its calls come from (IChatClient for ChatClientExtensions).
            var owner = method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type as INamedTypeSymbol : method.ContainingType;
            if (owner is not null)
            {
                _declaringTypes.Add(owner.OriginalDefinition);
                if (!_byOwnerAndName.ContainsKey((owner.OriginalDefinition, method.Name)))
                    _byOwnerAndName[(owner.OriginalDefinition, method.Name)] = method;
            }
        }
    }

    public bool IsEmpty => _methods.Count == 0;

    public static LlmEntryPoints Create(Compilation compilation, TypeLookup types, ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var methods = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var advice = new Dictionary<IMethodSymbol, string>(SymbolEqualityComparer.Default);
        var interfaces = ImmutableArray.CreateBuilder<INamedTypeSymbol>();

        foreach (var row in EntryPointCatalog.EntryPoints)
        {
            foreach (var type in types.All(row.TypeName))
            {
                if (type.TypeKind == TypeKind.Interface)
                    interfaces.Add(type);
                foreach (var name in row.Methods)
                {
                    foreach (var method in AddMethods(type, name, names, methods))
                    {
                        if (row.Advice is not null)
                            advice[method] = row.Advice;
                    }
                }
            }
        }
        var builtIn = new HashSet<IMethodSymbol>(methods, SymbolEqualityComparer.Default);

        foreach (var file in additionalFiles)
        {
            if (!string.Equals(Path.GetFileName(file.Path), EntryPointCatalog.EntryPointsFileName, StringComparison.OrdinalIgnoreCase))
                continue;
            var text = file.GetText(cancellationToken);
            if (text is not null)
                EntryPointsFile.AddTo(compilation, text, names, methods, interfaces);
        }

        return new LlmEntryPoints(names, methods, advice, builtIn, compilation.Assembly, interfaces.ToImmutable());
    }

    /// <summary>
    /// Whether a value of <paramref name="type"/> can receive an entry-point call: the type, one of its bases or one of
    /// its interfaces declares one. Used to record only the field and property writes that can matter, and to recognise
    /// client implementations (adapters, middleware, an SDK's own service classes) whose calls forward a request.
    /// </summary>
    public bool IsClientType(ITypeSymbol? type) => type is not null && _clientTypes.GetOrAdd(type, ComputeIsClientType);

    private bool ComputeIsClientType(ITypeSymbol type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (_declaringTypes.Contains(current.OriginalDefinition))
                return true;
        }
        foreach (var implemented in type.AllInterfaces)
        {
            if (_declaringTypes.Contains(implemented.OriginalDefinition))
                return true;
        }
        if (type is ITypeParameterSymbol typeParameter)
        {
            foreach (var constraint in typeParameter.ConstraintTypes)
            {
                if (IsClientType(constraint))
                    return true;
            }
        }
        return false;
    }

    /// <summary>The catalogue or project method that <paramref name="method"/> is, overrides or implements; null when it is none.</summary>
    public EntryPointMatch? Match(IMethodSymbol method)
    {
        if (!_names.Contains(method.Name))
            return null;
        var matched = FindListedMethod(method);
        if (matched is null)
            return null;
        _advice.TryGetValue(matched, out var advice);
        // The SDK's own source (analysed when it is built, or in a solution that includes it) calls its entry points to
        // forward a user's call; those are not calls a user made.
        var isSdkOwnCode = _builtIn.Contains(matched) && SymbolEqualityComparer.Default.Equals(matched.ContainingAssembly, _assembly);
        return new EntryPointMatch(advice, isSdkOwnCode);
    }

    private IMethodSymbol? FindListedMethod(IMethodSymbol method)
    {
        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (_methods.Contains(definition))
            return definition;

        // An override (AzureChatClient.CompleteChatAsync) is the entry point it overrides.
        for (var overridden = definition.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (_methods.Contains(overridden.OriginalDefinition))
                return overridden.OriginalDefinition;
        }

        // Another library's extension overload of an entry point (Microsoft.Agents.AI.OpenAI's RunAsync(this AIAgent,
        // IEnumerable<OpenAI.Chat.ChatMessage>)) calls the entry point it is named after on its receiver.
        if (definition.IsExtensionMethod && definition.Parameters.Length > 0 && FindOwnEntryPoint(definition.Parameters[0].Type, definition.Name) is { } overloaded)
            return overloaded;

        // A call on a concrete client (MessageService.Create, MyChatClient.GetResponseAsync) is the interface member it implements.
        var containingType = definition.ContainingType;
        if (definition.IsStatic || containingType is null || containingType.TypeKind == TypeKind.Interface)
            return null;
        var implemented = FindImplementedMember(definition, containingType, method.Name);
        if (implemented is not null)
            return implemented;

        // A client's own overload of an entry point (an agent subclass's RunAsync(IEnumerable<OpenAI.Chat.ChatMessage>)) runs it.
        return containingType.BaseType is { } baseType ? FindOwnEntryPoint(baseType, definition.Name) ?? FindOwnEntryPointOnInterfaces(containingType, definition.Name) : null;
    }

    private IMethodSymbol? FindOwnEntryPointOnInterfaces(INamedTypeSymbol type, string name)
    {
        foreach (var implemented in type.AllInterfaces)
        {
            if (_byOwnerAndName.TryGetValue((implemented.OriginalDefinition, name), out var method))
                return method;
        }
        return null;
    }

    private IMethodSymbol? FindImplementedMember(IMethodSymbol definition, INamedTypeSymbol containingType, string name)
    {
        foreach (var implemented in containingType.AllInterfaces)
        {
            if (!_interfaces.Contains(implemented.OriginalDefinition, SymbolEqualityComparer.Default))
                continue;
            foreach (var member in implemented.GetMembers(name))
            {
                if (member is IMethodSymbol interfaceMethod && _methods.Contains(interfaceMethod.OriginalDefinition) &&
                    SymbolEqualityComparer.Default.Equals(containingType.FindImplementationForInterfaceMember(member)?.OriginalDefinition, definition))
                {
                    return interfaceMethod.OriginalDefinition;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// For a provider SDK client no budget can wrap (an OpenAI ChatClient, an Anthropic message service): what to do
    /// instead, from the catalogue row of an entry point it declares; null for any other type.
    /// </summary>
    public string? AdviceFor(ITypeSymbol? type)
    {
        if (type is null || _advice.Count == 0)
            return null;
        foreach (var pair in _advice)
        {
            var owner = pair.Key.IsExtensionMethod && pair.Key.Parameters.Length > 0 ? pair.Key.Parameters[0].Type : pair.Key.ContainingType;
            for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, owner.OriginalDefinition))
                    return pair.Value;
            }
            foreach (var implemented in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, owner.OriginalDefinition))
                    return pair.Value;
            }
        }
        return null;
    }

    /// <summary>An entry point named <paramref name="name"/> that <paramref name="receiverType"/>, a base or an interface of it declares.</summary>
    private IMethodSymbol? FindOwnEntryPoint(ITypeSymbol receiverType, string name)
    {
        for (var current = receiverType as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (_byOwnerAndName.TryGetValue((current.OriginalDefinition, name), out var method))
                return method;
        }
        foreach (var implemented in receiverType.AllInterfaces)
        {
            if (_byOwnerAndName.TryGetValue((implemented.OriginalDefinition, name), out var method))
                return method;
        }
        return null;
    }


    /// <summary>Adds the ordinary methods of <paramref name="type"/> named <paramref name="name"/>; returns them.</summary>
    internal static List<IMethodSymbol> AddMethods(INamedTypeSymbol type, string name, HashSet<string> names, HashSet<IMethodSymbol> methods)
    {
        var added = new List<IMethodSymbol>();
        foreach (var member in type.GetMembers(name))
        {
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method)
            {
                names.Add(method.Name);
                methods.Add(method.OriginalDefinition);
                added.Add(method.OriginalDefinition);
            }
        }
        return added;
    }
}

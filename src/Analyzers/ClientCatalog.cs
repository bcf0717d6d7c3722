using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// The wrapper, service and registration rows of <see cref="EntryPointCatalog"/> resolved against one compilation.
/// Read-only after creation, so it is shared by the concurrent actions of that compilation.
/// </summary>
internal sealed class ClientCatalog
{
    private readonly Dictionary<INamedTypeSymbol, Dictionary<string, InnerClient>> _wrapperMethods = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<INamedTypeSymbol, InnerClient> _wrapperConstructors = new(SymbolEqualityComparer.Default);
    private readonly List<(INamedTypeSymbol Type, ServiceRow Row)> _services = new();

    private ClientCatalog(TypeLookup types)
    {
        foreach (var row in EntryPointCatalog.Wrappers)
        {
            foreach (var type in types.All(row.TypeName))
            {
                if (row.Member == WrapperRow.Constructor)
                {
                    _wrapperConstructors[type.OriginalDefinition] = row.Inner;
                    continue;
                }
                if (!_wrapperMethods.TryGetValue(type.OriginalDefinition, out var members))
                    _wrapperMethods[type.OriginalDefinition] = members = new Dictionary<string, InnerClient>(StringComparer.Ordinal);
                members[row.Member] = row.Inner;
            }
        }

        foreach (var row in EntryPointCatalog.Services)
        {
            foreach (var type in types.All(row.TypeName))
                _services.Add((type.OriginalDefinition, row));
        }
    }

    public static ClientCatalog Create(TypeLookup types) => new(types);

    /// <summary>Where the inner client of a wrapping call is (<c>chatClient.AsAIAgent()</c>); null when the call wraps nothing.</summary>
    public InnerClient? MatchWrapperCall(IMethodSymbol method)
    {
        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (definition.ContainingType is { } type &&
            _wrapperMethods.TryGetValue(type.OriginalDefinition, out var members) &&
            members.TryGetValue(definition.Name, out var inner))
        {
            return inner;
        }

        // Fluent steps of a wrapper builder, wherever they are declared: `agent.AsBuilder().UseOpenTelemetry().Build()`.
        var receiverType = definition.IsExtensionMethod && definition.Parameters.Length > 0 ? definition.Parameters[0].Type : definition.IsStatic ? null : definition.ContainingType;
        if (receiverType is INamedTypeSymbol receiver &&
            SymbolEqualityComparer.Default.Equals(receiver.OriginalDefinition, definition.ReturnType.OriginalDefinition) &&
            _wrapperMethods.TryGetValue(receiver.OriginalDefinition, out var fluent) &&
            fluent.TryGetValue(WrapperRow.AnyFluent, out var passThrough))
        {
            return passThrough;
        }
        return null;
    }

    /// <summary>Whether <c>new T(...)</c> wraps a client passed to it: T or one of its bases is a wrapper constructor row.</summary>
    public bool IsWrapperConstructor(INamedTypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (_wrapperConstructors.ContainsKey(current.OriginalDefinition))
                return true;
        }
        return false;
    }

    /// <summary>
    /// The service row of a type: exact for interfaces (a registration of <c>MyChatClient</c> is not one of IChatClient),
    /// the type or a base for classes (a <c>ChatClientAgent</c> registration is an AIAgent one).
    /// </summary>
    public ServiceRow? FindService(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named || _services.Count == 0)
            return null;
        foreach (var (serviceType, row) in _services)
        {
            if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, serviceType))
                return row;
        }
        if (named.TypeKind != TypeKind.Class)
            return null;
        for (var current = named.BaseType; current is not null; current = current.BaseType)
        {
            foreach (var (serviceType, row) in _services)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, serviceType))
                    return row;
            }
        }
        return null;
    }

    /// <summary>Whether a value of this type is one a wrapper's inner client can be (an IChatClient, an agent, ...).</summary>
    public bool IsTracedClientType(ITypeSymbol? type) => FindService(type) is not null;

    /// <summary>The row of an SDK helper that registers a provider directly (<c>AddOpenAIChatCompletion</c>); null for any other method.</summary>
    public static ConnectorRegistrationRow? FindConnectorRegistration(IMethodSymbol method)
    {
        if (!method.Name.StartsWith("Add", StringComparison.Ordinal))
            return null;
        var definition = method.ReducedFrom ?? method;
        if (!definition.IsExtensionMethod)
            return null;
        var assembly = definition.ContainingAssembly?.Name;
        if (assembly is null)
            return null;
        foreach (var row in EntryPointCatalog.ConnectorRegistrations)
        {
            if (method.Name.EndsWith(row.NameSuffix, StringComparison.Ordinal) && assembly.StartsWith(row.AssemblyPrefix, StringComparison.Ordinal))
                return row;
        }
        return null;
    }

    /// <summary>The row that names a kind in messages (the first row registering it).</summary>
    public static ServiceRow? RowFor(ServiceKinds kind)
    {
        foreach (var row in EntryPointCatalog.Services)
        {
            if (row.Registers == kind)
                return row;
        }
        return null;
    }
}

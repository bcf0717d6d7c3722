using System;
using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// The GuardedAI and Microsoft.Extensions.AI symbols of one compilation, resolved once in the compilation-start action,
/// and the questions GAI001 asks about them. Thread-safe: the analyzer runs concurrently.
/// </summary>
internal sealed class GuardSymbols
{
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _guardTypes = new(SymbolEqualityComparer.Default);

    private GuardSymbols(Compilation compilation)
    {
        IChatClient = compilation.GetTypeByMetadataName(WellKnownTypeNames.IChatClient);
        IEmbeddingGenerator = compilation.GetTypeByMetadataName(WellKnownTypeNames.IEmbeddingGenerator);
        ChatClientBuilder = compilation.GetTypeByMetadataName(WellKnownTypeNames.ChatClientBuilder);
        EmbeddingGeneratorBuilder = compilation.GetTypeByMetadataName(WellKnownTypeNames.EmbeddingGeneratorBuilder);
        BudgetChatClient = compilation.GetTypeByMetadataName(WellKnownTypeNames.BudgetChatClient);
        BudgetEmbeddingGenerator = compilation.GetTypeByMetadataName(WellKnownTypeNames.BudgetEmbeddingGenerator);
        LlmBudgetAttribute = compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmBudgetAttribute);
        AllowUnguardedAttribute = compilation.GetTypeByMetadataName(WellKnownTypeNames.AllowUnguardedLlmCallsAttribute);
        GeneratedCodeAttribute = compilation.GetTypeByMetadataName(WellKnownTypeNames.GeneratedCodeAttribute);
    }

    public INamedTypeSymbol? IChatClient { get; }
    public INamedTypeSymbol? IEmbeddingGenerator { get; }
    public INamedTypeSymbol? ChatClientBuilder { get; }
    public INamedTypeSymbol? EmbeddingGeneratorBuilder { get; }
    public INamedTypeSymbol? BudgetChatClient { get; }
    public INamedTypeSymbol? BudgetEmbeddingGenerator { get; }
    public INamedTypeSymbol? LlmBudgetAttribute { get; }
    public INamedTypeSymbol? AllowUnguardedAttribute { get; }
    public INamedTypeSymbol? GeneratedCodeAttribute { get; }

    public static GuardSymbols Create(Compilation compilation) => new(compilation);

    /// <summary>
    /// A type whose every model call is budgeted: a <c>BudgetChatClient</c> (generated guards derive from it), a
    /// <c>BudgetEmbeddingGenerator</c>, a
    /// <c>[LlmBudget]</c> interface, a type the GuardedAI generator emitted, or a type parameter constrained to one.
    /// </summary>
    public bool IsGuardType(ITypeSymbol? type) => type is not null && _guardTypes.GetOrAdd(type, ComputeIsGuardType);

    private bool ComputeIsGuardType(ITypeSymbol type)
    {
        if (type is ITypeParameterSymbol typeParameter)
        {
            foreach (var constraint in typeParameter.ConstraintTypes)
            {
                if (IsGuardType(constraint))
                    return true;
            }
            return false;
        }

        if (type is not INamedTypeSymbol named)
            return false;

        for (var current = named; current is not null; current = current.BaseType)
        {
            if (BudgetChatClient is not null && SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, BudgetChatClient))
                return true;
            if (BudgetEmbeddingGenerator is not null && SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, BudgetEmbeddingGenerator))
                return true;
            if (IsGeneratedGuard(current))
                return true;
        }

        if (HasBudgetAttribute(named))
            return true;
        foreach (var implemented in named.AllInterfaces)
        {
            if (HasBudgetAttribute(implemented))
                return true;
        }
        return false;
    }

    private bool HasBudgetAttribute(INamedTypeSymbol type) =>
        type.TypeKind == TypeKind.Interface && LlmBudgetAttribute is not null && HasAttribute(type, LlmBudgetAttribute);

    private bool IsGeneratedGuard(INamedTypeSymbol type)
    {
        if (GeneratedCodeAttribute is null)
            return false;
        foreach (var attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, GeneratedCodeAttribute) &&
                attribute.ConstructorArguments.Length > 0 &&
                attribute.ConstructorArguments[0].Value is string tool &&
                string.Equals(tool, WellKnownTypeNames.GeneratorName, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public bool IsChatClientType(ITypeSymbol? type) =>
        type is not null && IChatClient is not null && SymbolEqualityComparer.Default.Equals(type, IChatClient);

    public bool IsBuilderType(ITypeSymbol? type) =>
        type is INamedTypeSymbol named &&
        (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ChatClientBuilder) ||
         SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, EmbeddingGeneratorBuilder));

    /// <summary>Any method named UseBudget declared in namespace GuardedAI (every overload, present or future).</summary>
    public static bool IsUseBudget(IMethodSymbol method) =>
        method.Name == "UseBudget" && method.ContainingNamespace?.ToDisplayString() == WellKnownTypeNames.GuardedAINamespace;

    /// <summary>
    /// Whether <c>[AllowUnguardedLlmCalls]</c> covers an operation: on an enclosing local function, the member, its
    /// property (for accessors), any containing type, or the assembly.
    /// </summary>
    public bool IsAllowed(IOperation operation, ISymbol containingSymbol)
    {
        if (AllowUnguardedAttribute is null)
            return false;

        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILocalFunctionOperation localFunction && HasAttribute(localFunction.Symbol, AllowUnguardedAttribute))
                return true;
        }

        for (ISymbol? symbol = containingSymbol; symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (symbol is INamespaceSymbol)
                break;
            if (HasAttribute(symbol, AllowUnguardedAttribute))
                return true;
            if (symbol is IMethodSymbol { AssociatedSymbol: { } associated } && HasAttribute(associated, AllowUnguardedAttribute))
                return true;
        }

        return HasAttribute(containingSymbol.ContainingAssembly, AllowUnguardedAttribute);
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
                return true;
        }
        return false;
    }
}

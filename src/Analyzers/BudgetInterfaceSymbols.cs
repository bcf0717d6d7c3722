using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>The symbols the <c>[LlmBudget]</c> shape rules (<see cref="BudgetInterfaceAnalyzer"/>) need, resolved once per compilation.</summary>
internal sealed class BudgetInterfaceSymbols
{
    private BudgetInterfaceSymbols(Compilation compilation, INamedTypeSymbol llmBudget)
    {
        LlmBudget = llmBudget;
        LlmPrompt = compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmPromptAttribute);
        CancellationToken = compilation.GetTypeByMetadataName(WellKnownTypeNames.CancellationToken);
        ChatOptions = compilation.GetTypeByMetadataName(WellKnownTypeNames.ChatOptions);
        Task1 = compilation.GetTypeByMetadataName(WellKnownTypeNames.Task1);
        AsyncEnumerable1 = compilation.GetTypeByMetadataName(WellKnownTypeNames.IAsyncEnumerable1);
        String = compilation.GetSpecialType(SpecialType.System_String);
        ChatClient = compilation.GetTypeByMetadataName(WellKnownTypeNames.IChatClient);
        _implementedByGuard = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { compilation.GetSpecialType(SpecialType.System_IDisposable) };
        if (ChatClient is not null)
        {
            _implementedByGuard.Add(ChatClient);
            foreach (var inherited in ChatClient.AllInterfaces)
                _implementedByGuard.Add(inherited);
        }
    }

    // Read-only after construction, so safe to share between concurrent symbol actions.
    private readonly HashSet<INamedTypeSymbol> _implementedByGuard;

    public INamedTypeSymbol LlmBudget { get; }
    public INamedTypeSymbol? LlmPrompt { get; }
    public INamedTypeSymbol? CancellationToken { get; }
    public INamedTypeSymbol? ChatOptions { get; }
    public INamedTypeSymbol? Task1 { get; }
    public INamedTypeSymbol? AsyncEnumerable1 { get; }
    public INamedTypeSymbol String { get; }
    public INamedTypeSymbol? ChatClient { get; }

    /// <summary>IChatClient, its bases and IDisposable: BudgetChatClient implements them, not the generator.</summary>
    public bool IsImplementedByGuard(INamedTypeSymbol type) => _implementedByGuard.Contains(type);

    public static BudgetInterfaceSymbols? Create(Compilation compilation)
    {
        var llmBudget = compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmBudgetAttribute);
        return llmBudget is null ? null : new BudgetInterfaceSymbols(compilation, llmBudget);
    }

    /// <summary><c>Task&lt;string&gt;</c>, <c>Task&lt;T&gt;</c> (structured output) or <c>IAsyncEnumerable&lt;string&gt;</c>.</summary>
    public bool IsSupportedReturnType(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol { IsGenericType: true } named)
            return false;
        if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Task1))
            return named.TypeArguments[0] is not ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method }; // that one is GAI008 "generic method"
        return SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, AsyncEnumerable1) &&
               SymbolEqualityComparer.Default.Equals(named.TypeArguments[0].WithNullableAnnotation(NullableAnnotation.NotAnnotated), String);
    }
}

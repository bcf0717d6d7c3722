using System.Collections.Generic;
using System.Runtime.CompilerServices;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Generator.Parsing;

/// <summary>
/// The types the parser compares against, resolved once per compilation (<see cref="For"/>) rather than once per
/// interface: each lookup by metadata name searches every referenced assembly. Only the parser sees these symbols; the
/// models it produces hold none, so caching them per compilation leaves the pipeline's incremental caching as it was.
/// </summary>
internal sealed class KnownTypes
{
    /// <summary>
    /// One entry per live compilation; an entry goes with its compilation. A compilation without IChatClient maps to
    /// <see cref="s_absent"/>, so that it is not looked up again for each interface either.
    /// </summary>
    private static readonly ConditionalWeakTable<Compilation, KnownTypes> s_cache = new();

    private static readonly KnownTypes s_absent = new();

    private static readonly ConditionalWeakTable<Compilation, KnownTypes>.CreateValueCallback s_create = Resolve;

    private KnownTypes()
    {
        ChatClient = null!;
        Disposable = null!;
        ImplementedByBase = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
    }

    private KnownTypes(Compilation compilation, INamedTypeSymbol chatClient)
    {
        ChatClient = chatClient;
        ChatOptions = compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.ChatOptions");
        Disposable = compilation.GetSpecialType(SpecialType.System_IDisposable);
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        AsyncEnumerable = compilation.GetTypeByMetadataName("System.Collections.Generic.IAsyncEnumerable`1");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        PromptAttribute = compilation.GetTypeByMetadataName(RuntimeTypeNames.LlmPromptAttribute);
        BudgetAttribute = compilation.GetTypeByMetadataName(RuntimeTypeNames.LlmBudgetAttribute);
        BudgetEngine = compilation.GetTypeByMetadataName(RuntimeTypeNames.BudgetEngine);
        ServiceCollection = compilation.GetTypeByMetadataName("Microsoft.Extensions.DependencyInjection.IServiceCollection");

        // Members the base class already implements (IChatClient and what it extends) are not the user's.
        ImplementedByBase = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { chatClient, Disposable };
        foreach (INamedTypeSymbol i in chatClient.AllInterfaces) ImplementedByBase.Add(i);
    }

    public INamedTypeSymbol ChatClient { get; }

    public INamedTypeSymbol? ChatOptions { get; }

    public INamedTypeSymbol Disposable { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? AsyncEnumerable { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? PromptAttribute { get; }

    public INamedTypeSymbol? ServiceCollection { get; }

    public INamedTypeSymbol? BudgetAttribute { get; }

    /// <summary><c>GuardedAI.BudgetEngine</c>: the second parameter of a generated <c>Create</c>.</summary>
    public INamedTypeSymbol? BudgetEngine { get; }

    /// <summary>IChatClient, the interfaces it extends and IDisposable: <c>BudgetChatClient</c> implements their members. Read-only.</summary>
    public HashSet<INamedTypeSymbol> ImplementedByBase { get; }

    /// <summary>The compilation's known types, resolved on first use; null when Microsoft.Extensions.AI is not referenced: then nothing can be generated.</summary>
    public static KnownTypes? For(Compilation compilation)
    {
        KnownTypes known = s_cache.GetValue(compilation, s_create);
        return ReferenceEquals(known, s_absent) ? null : known;
    }

    private static KnownTypes Resolve(Compilation compilation)
        => compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.IChatClient") is { } chatClient
            ? new KnownTypes(compilation, chatClient)
            : s_absent;
}

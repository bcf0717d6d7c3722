using GuardedAI.Schema;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Generator.Parsing;

/// <summary>The types the parser compares against, resolved once per parse.</summary>
internal sealed class KnownTypes
{
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

    /// <summary>Null when Microsoft.Extensions.AI is not referenced: then nothing can be generated.</summary>
    public static KnownTypes? Create(Compilation compilation)
        => compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.IChatClient") is { } chatClient
            ? new KnownTypes(compilation, chatClient)
            : null;
}

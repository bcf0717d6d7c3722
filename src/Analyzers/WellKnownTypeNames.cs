namespace GuardedAI.Analyzers;

/// <summary>Metadata names of the types the analyzers look for. Resolved once per compilation.</summary>
internal static class WellKnownTypeNames
{
    public const string LlmBudgetAttribute = "GuardedAI.LlmBudgetAttribute";
    public const string LlmPromptAttribute = "GuardedAI.LlmPromptAttribute";
    public const string AllowUnguardedLlmCallsAttribute = "GuardedAI.AllowUnguardedLlmCallsAttribute";
    public const string BudgetChatClient = "GuardedAI.BudgetChatClient";
    public const string BudgetEmbeddingGenerator = "GuardedAI.BudgetEmbeddingGenerator`1";
    public const string GuardedAINamespace = "GuardedAI";
    public const string GeneratorName = "GuardedAI.Generator";

    public const string IChatClient = "Microsoft.Extensions.AI.IChatClient";
    public const string IEmbeddingGenerator = "Microsoft.Extensions.AI.IEmbeddingGenerator`2";
    public const string ChatClientBuilder = "Microsoft.Extensions.AI.ChatClientBuilder";
    public const string EmbeddingGeneratorBuilder = "Microsoft.Extensions.AI.EmbeddingGeneratorBuilder`2";
    public const string AIAgent = "Microsoft.Agents.AI.AIAgent";
    public const string IChatCompletionService = "Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService";
    public const string Kernel = "Microsoft.SemanticKernel.Kernel";
    public const string ChatOptions = "Microsoft.Extensions.AI.ChatOptions";
    public const string GeneratedCodeAttribute = "System.CodeDom.Compiler.GeneratedCodeAttribute";
    public const string CancellationToken = "System.Threading.CancellationToken";
    public const string Task1 = "System.Threading.Tasks.Task`1";
    public const string IAsyncEnumerable1 = "System.Collections.Generic.IAsyncEnumerable`1";
}

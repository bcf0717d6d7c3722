namespace GuardedAI.Analyzers;

/// <summary>
/// The built-in LLM entry points: methods that send a request to a paid model. Listed by containing type and method
/// name so that every overload (and every future overload) is covered; types missing from a compilation are skipped.
/// </summary>
internal static class EntryPointCatalog
{
    private static readonly string[] ChatMethods = { "GetResponseAsync", "GetStreamingResponseAsync" };
    private static readonly string[] OpenAIChatMethods = { "CompleteChat", "CompleteChatAsync", "CompleteChatStreaming", "CompleteChatStreamingAsync" };
    private static readonly string[] OpenAIResponseMethods = { "CreateResponse", "CreateResponseAsync", "CreateResponseStreaming", "CreateResponseStreamingAsync" };
    private static readonly string[] OpenAIEmbeddingMethods = { "GenerateEmbedding", "GenerateEmbeddingAsync", "GenerateEmbeddings", "GenerateEmbeddingsAsync" };
    private static readonly string[] AnthropicMessageMethods = { "Create", "CreateStreaming" };

    /// <summary>(metadata name of the declaring type, method names).</summary>
    public static readonly (string TypeName, string[] Methods)[] Entries =
    {
        // Microsoft.Extensions.AI: the interface, its convenience extensions and structured output (GetResponseAsync<T>).
        (WellKnownTypeNames.IChatClient, ChatMethods),
        ("Microsoft.Extensions.AI.ChatClientExtensions", ChatMethods),
        ("Microsoft.Extensions.AI.ChatClientStructuredOutputExtensions", ChatMethods),
        // Embeddings cost money too.
        (WellKnownTypeNames.IEmbeddingGenerator, new[] { "GenerateAsync" }),
        ("Microsoft.Extensions.AI.EmbeddingGeneratorExtensions", new[] { "GenerateAsync", "GenerateVectorAsync", "GenerateAndZipAsync", "GenerateEmbeddingAsync", "GenerateEmbeddingVectorAsync" }),
        // OpenAI .NET SDK (Azure.AI.OpenAI's AzureChatClient and friends derive from these and are matched through overrides).
        ("OpenAI.Chat.ChatClient", OpenAIChatMethods),
        ("OpenAI.Responses.ResponsesClient", OpenAIResponseMethods),
        ("OpenAI.Responses.OpenAIResponseClient", OpenAIResponseMethods),
        ("OpenAI.Embeddings.EmbeddingClient", OpenAIEmbeddingMethods),
        // Anthropic .NET SDK messages API (the concrete services implement these interfaces).
        ("Anthropic.Services.IMessageService", AnthropicMessageMethods),
        ("Anthropic.Services.IMessageServiceWithRawResponse", AnthropicMessageMethods),
        ("Anthropic.Services.MessageServiceExtensions", new[] { "Create" }),
        ("Anthropic.Services.Beta.IMessageService", AnthropicMessageMethods),
        ("Anthropic.Services.Beta.IMessageServiceWithRawResponse", AnthropicMessageMethods),
        ("Anthropic.Services.Beta.BetaMessageServiceExtensions", new[] { "Create" }),
    };

    /// <summary>The additional file in which a project lists its own entry points, one documentation-comment id a line.</summary>
    public const string EntryPointsFileName = "GuardedAI.EntryPoints.txt";
}

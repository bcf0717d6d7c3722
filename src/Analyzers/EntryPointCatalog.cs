namespace GuardedAI.Analyzers;

/// <summary>
/// Everything GAI001 knows about LLM libraries, as data: the methods that call a model (entry points), the calls and
/// constructors that make a model-calling value out of another one (wrappers: an agent over a chat client), the service
/// types dependency injection hands out, and the SDK registration helpers that register a provider with no builder to
/// add a budget to. Supporting the next SDK is a line here, not a new rule. Types missing from a compilation are skipped;
/// a name defined by several assemblies (Microsoft.Extensions.AI.ChatClientExtensions is in both Microsoft.Extensions.AI
/// and Microsoft.Agents.AI) matches all of them. docs/analyzers.md lists the same table for users.
/// </summary>
internal static class EntryPointCatalog
{
    private static readonly string[] ChatMethods = { "GetResponseAsync", "GetStreamingResponseAsync" };
    private static readonly string[] AgentMethods = { "RunAsync", "RunStreamingAsync" };
    private static readonly string[] OpenAIChatMethods = { "CompleteChat", "CompleteChatAsync", "CompleteChatStreaming", "CompleteChatStreamingAsync" };
    private static readonly string[] OpenAIResponseMethods =
        { "CreateResponse", "CreateResponseAsync", "CreateResponseStreaming", "CreateResponseStreamingAsync", "CompactResponse", "CompactResponseAsync" };
    private static readonly string[] OpenAIAssistantMethods =
    {
        "CreateRun", "CreateRunAsync", "CreateRunStreaming", "CreateRunStreamingAsync",
        "CreateThreadAndRun", "CreateThreadAndRunAsync", "CreateThreadAndRunStreaming", "CreateThreadAndRunStreamingAsync",
        "SubmitToolOutputsToRun", "SubmitToolOutputsToRunAsync", "SubmitToolOutputsToRunStreaming", "SubmitToolOutputsToRunStreamingAsync",
    };
    private static readonly string[] OpenAIEmbeddingMethods = { "GenerateEmbedding", "GenerateEmbeddingAsync", "GenerateEmbeddings", "GenerateEmbeddingsAsync" };
    private static readonly string[] AnthropicMessageMethods = { "Create", "CreateStreaming" };
    private static readonly string[] SkChatMethods = { "GetChatMessageContentAsync", "GetChatMessageContentsAsync", "GetStreamingChatMessageContentsAsync" };

    // What to do instead, for SDK clients no GuardedAI budget can wrap (appended to their GAI001 message).
    private const string OpenAIChatAdvice = "call it as an IChatClient (AsIChatClient()) through a pipeline with UseBudget";
    private const string OpenAIEmbeddingAdvice = "call it as an IEmbeddingGenerator (AsIEmbeddingGenerator()) through EmbeddingGeneratorBuilder.UseBudget";
    private const string AnthropicAdvice = "call it as an IChatClient (client.AsIChatClient(model)) through a pipeline with UseBudget";
    private const string AnthropicToolRunnerAdvice = "run the tools with UseFunctionInvocation over a budgeted IChatClient (client.AsIChatClient(model) with UseBudget)";
    private const string NoGuardAdvice = "justify the call with [AllowUnguardedLlmCalls(\"why\")]";

    /// <summary>
    /// The methods that call a model: metadata name of the declaring type, method names (every overload, present or
    /// future), and advice. Rows without advice are traced: their receiver is followed back to where it was made and the
    /// call is quiet when that is a budgeted client. Rows with advice are provider SDK clients that no budget can wrap:
    /// every call is reported, with the advice.
    /// </summary>
    public static readonly EntryPointRow[] EntryPoints =
    {
        // Microsoft.Extensions.AI: the interface, its convenience extensions and structured output (GetResponseAsync<T>).
        new(WellKnownTypeNames.IChatClient, ChatMethods),
        new("Microsoft.Extensions.AI.ChatClientExtensions", ChatMethods),
        new("Microsoft.Extensions.AI.ChatClientStructuredOutputExtensions", ChatMethods),
        new(WellKnownTypeNames.IEmbeddingGenerator, "GenerateAsync"),
        new("Microsoft.Extensions.AI.EmbeddingGeneratorExtensions", "GenerateAsync", "GenerateVectorAsync", "GenerateAndZipAsync", "GenerateEmbeddingAsync", "GenerateEmbeddingVectorAsync"),

        // Microsoft Agent Framework: an agent run calls its chat client (once per turn of its tool loop).
        new(WellKnownTypeNames.AIAgent, AgentMethods),
        new("Microsoft.Agents.AI.ChatClientAgent", AgentMethods),

        // Semantic Kernel: chat completion services and prompt invocation on a kernel.
        new(WellKnownTypeNames.IChatCompletionService, SkChatMethods),
        new("Microsoft.SemanticKernel.ChatCompletion.ChatCompletionServiceExtensions", SkChatMethods),
        new("Microsoft.SemanticKernel.KernelExtensions", "InvokePromptAsync", "InvokePromptStreamingAsync"),

        // OpenAI .NET SDK (Azure.AI.OpenAI's AzureChatClient and friends derive from these and are matched through overrides).
        new("OpenAI.Chat.ChatClient", OpenAIChatMethods) { Advice = OpenAIChatAdvice },
        new("OpenAI.Responses.ResponsesClient", OpenAIResponseMethods) { Advice = OpenAIChatAdvice },
        new("OpenAI.Responses.OpenAIResponseClient", OpenAIResponseMethods) { Advice = OpenAIChatAdvice },
        new("OpenAI.Embeddings.EmbeddingClient", OpenAIEmbeddingMethods) { Advice = OpenAIEmbeddingAdvice },
        new("OpenAI.Assistants.AssistantClient", OpenAIAssistantMethods) { Advice = NoGuardAdvice },
        new("OpenAI.Realtime.RealtimeClient", "StartConversationSessionAsync", "StartSessionAsync", "StartTranscriptionSessionAsync") { Advice = NoGuardAdvice },
        new("OpenAI.Realtime.RealtimeSessionClient", "StartResponseAsync") { Advice = NoGuardAdvice },

        // Anthropic .NET SDK: messages (the concrete services implement these interfaces), batches, the beta tool runner
        // (reported where it is created: enumerating it runs the model until no tool is called), beta message threads,
        // managed-agent session events (sending one starts the agent's model turns).
        new("Anthropic.Services.IMessageService", AnthropicMessageMethods) { Advice = AnthropicAdvice },
        new("Anthropic.Services.IMessageServiceWithRawResponse", AnthropicMessageMethods) { Advice = AnthropicAdvice },
        new("Anthropic.Services.MessageServiceExtensions", "Create") { Advice = AnthropicAdvice },
        new("Anthropic.Services.Beta.IMessageService", AnthropicMessageMethods) { Advice = AnthropicAdvice },
        new("Anthropic.Services.Beta.IMessageServiceWithRawResponse", AnthropicMessageMethods) { Advice = AnthropicAdvice },
        new("Anthropic.Services.Beta.BetaMessageServiceExtensions", "Create") { Advice = AnthropicAdvice },
        new("Anthropic.Services.Messages.IBatchService", "Create") { Advice = NoGuardAdvice },
        new("Anthropic.Services.Beta.Messages.IBatchService", "Create") { Advice = NoGuardAdvice },
        new("Anthropic.Helpers.Beta.BetaToolRunnerExtensions", "ToolRunner") { Advice = AnthropicToolRunnerAdvice },
        new("Anthropic.Helpers.Beta.BetaMessageThread", "Send", "SendStreaming") { Advice = AnthropicAdvice },
        new("Anthropic.Helpers.Beta.BetaMessageThread", "ToolRunner") { Advice = AnthropicToolRunnerAdvice },
        new("Anthropic.Helpers.Beta.BetaMessageThread`1", "Send", "SendStreaming") { Advice = AnthropicAdvice },
        new("Anthropic.Helpers.Beta.BetaMessageThread`1", "ToolRunner") { Advice = AnthropicToolRunnerAdvice },
        new("Anthropic.Services.Beta.Sessions.IEventService", "Send") { Advice = NoGuardAdvice },
        new("Anthropic.Services.Beta.Sessions.IEventServiceWithRawResponse", "Send") { Advice = NoGuardAdvice },
    };

    /// <summary>
    /// Values that call a model through another client: the call or constructor, and where the inner client is. A wrapped
    /// value is budgeted exactly when its inner client is (an agent over a <c>UseBudget</c> pipeline is guarded). A
    /// constructor row also covers the constructors of derived types (every <c>DelegatingAIAgent</c> middleware).
    /// </summary>
    public static readonly WrapperRow[] Wrappers =
    {
        // Microsoft Agent Framework: agents over chat clients, agent pipelines, and a chat client over an agent.
        new("Microsoft.Agents.AI.ChatClientAgent", WrapperRow.Constructor, InnerClient.ClientArgument),
        new("Microsoft.Extensions.AI.ChatClientExtensions", "AsAIAgent", InnerClient.Receiver),
        new("Microsoft.Extensions.AI.ChatClientExtensions", "CreateAIAgent", InnerClient.Receiver),
        new("Microsoft.Extensions.AI.ChatClientBuilderExtensions", "BuildAIAgent", InnerClient.Pipeline),
        new("Microsoft.Agents.AI.DelegatingAIAgent", WrapperRow.Constructor, InnerClient.ClientArgument),
        new("Microsoft.Agents.AI.AIAgentExtensions", "AsBuilder", InnerClient.Receiver),
        new("Microsoft.Agents.AI.AIAgentBuilder", WrapperRow.Constructor, InnerClient.ClientArgument),
        new("Microsoft.Agents.AI.AIAgentBuilder", WrapperRow.AnyFluent, InnerClient.Receiver),
        new("Microsoft.Agents.AI.AIAgentBuilder", "Build", InnerClient.Receiver),
        new("Microsoft.Agents.AI.AIAgentExtensions", "AsIChatClient", InnerClient.Receiver),
        // Microsoft.Agents.AI.OpenAI and Microsoft.Extensions.AI.OpenAI: agents and chat clients over OpenAI SDK clients.
        new("OpenAI.Chat.OpenAIChatClientExtensions", "AsAIAgent", InnerClient.Receiver),
        new("OpenAI.Responses.OpenAIResponseClientExtensions", "AsAIAgent", InnerClient.Receiver),
        new("OpenAI.Responses.OpenAIResponseClientExtensions", "AsIChatClientWithStoredOutputDisabled", InnerClient.Receiver),
        new("Microsoft.Extensions.AI.OpenAIClientExtensions", "AsIChatClient", InnerClient.Receiver),
        new("Microsoft.Extensions.AI.OpenAIClientExtensions", "AsIEmbeddingGenerator", InnerClient.Receiver),
        // Semantic Kernel: a chat completion service over a chat client and back.
        new("Microsoft.SemanticKernel.ChatCompletion.ChatClientExtensions", "AsChatCompletionService", InnerClient.Receiver),
        new("Microsoft.SemanticKernel.ChatCompletion.ChatCompletionServiceExtensions", "AsChatClient", InnerClient.Receiver),
        // Microsoft.Extensions.AI middleware written by hand: new FunctionInvokingChatClient(guarded) is still guarded.
        new("Microsoft.Extensions.AI.DelegatingChatClient", WrapperRow.Constructor, InnerClient.ClientArgument),
        new("Microsoft.Extensions.AI.DelegatingEmbeddingGenerator`2", WrapperRow.Constructor, InnerClient.ClientArgument),
    };

    /// <summary>
    /// Service types dependency injection hands out that GAI001 can trace to their registrations. <c>Registers</c>: which
    /// kind a registration of the type counts as; <c>ResolvesFrom</c>: the kinds whose registrations must all be budgeted
    /// for an injected value of the type to be guarded. A Semantic Kernel <c>Kernel</c> runs prompts on the chat services
    /// registered for it, so any kernel (injected or built) resolves from the chat registrations.
    /// </summary>
    public static readonly ServiceRow[] Services =
    {
        new(WellKnownTypeNames.IChatClient, ServiceKinds.ChatClient, ServiceKinds.ChatClient, "IChatClient", "go through UseBudget"),
        new(WellKnownTypeNames.IEmbeddingGenerator, ServiceKinds.EmbeddingGenerator, ServiceKinds.EmbeddingGenerator, "IEmbeddingGenerator", "go through EmbeddingGeneratorBuilder.UseBudget"),
        new(WellKnownTypeNames.IChatCompletionService, ServiceKinds.ChatCompletionService, ServiceKinds.ChatClient | ServiceKinds.ChatCompletionService, "IChatCompletionService", "wrap a budgeted IChatClient (AsChatCompletionService())"),
        new(WellKnownTypeNames.AIAgent, ServiceKinds.Agent, ServiceKinds.Agent, "AIAgent", "run on a budgeted IChatClient"),
        new(WellKnownTypeNames.Kernel, ServiceKinds.None, ServiceKinds.ChatClient | ServiceKinds.ChatCompletionService, "Kernel", "go through UseBudget") { AlwaysFromServices = true },
    };

    /// <summary>
    /// SDK helpers that register a provider's client directly (<c>builder.AddOpenAIChatCompletion(...)</c>,
    /// <c>services.AddOpenAIChatClient(...)</c>): extension methods named <c>Add…{suffix}</c> from assemblies whose name
    /// starts with the prefix. They return no builder, so nothing can add a budget to what they register.
    /// </summary>
    public static readonly ConnectorRegistrationRow[] ConnectorRegistrations =
    {
        new("Microsoft.SemanticKernel", "ChatCompletion", ServiceKinds.ChatCompletionService),
        new("Microsoft.SemanticKernel", "ChatClient", ServiceKinds.ChatClient),
        new("Microsoft.SemanticKernel", "EmbeddingGenerator", ServiceKinds.EmbeddingGenerator),
    };

    /// <summary>The additional file in which a project lists its own entry points, one documentation-comment id a line.</summary>
    public const string EntryPointsFileName = "GuardedAI.EntryPoints.txt";
}

/// <summary>One row of <see cref="EntryPointCatalog.EntryPoints"/>.</summary>
internal sealed class EntryPointRow
{
    public EntryPointRow(string typeName, params string[] methods)
    {
        TypeName = typeName;
        Methods = methods;
    }

    public string TypeName { get; }
    public string[] Methods { get; }

    /// <summary>For an SDK client no budget can wrap: what to do instead. Null for traced rows.</summary>
    public string? Advice { get; set; }
}

/// <summary>Where a wrapper's inner client is.</summary>
internal enum InnerClient
{
    /// <summary>The receiver (<c>chatClient.AsAIAgent()</c>) or, for an extension, its <c>this</c> argument.</summary>
    Receiver,
    /// <summary>The first argument whose type is a traced client type (<c>new ChatClientAgent(chatClient, ...)</c>).</summary>
    ClientArgument,
    /// <summary>The receiver is a ChatClientBuilder pipeline (<c>builder.BuildAIAgent()</c>): guarded when it calls UseBudget.</summary>
    Pipeline,
}

/// <summary>One row of <see cref="EntryPointCatalog.Wrappers"/>.</summary>
internal sealed class WrapperRow
{
    public const string Constructor = ".ctor";

    /// <summary>Every method of the type, or extension on it, that returns the type itself (<c>agentBuilder.UseOpenTelemetry()</c>).</summary>
    public const string AnyFluent = "*";

    public WrapperRow(string typeName, string member, InnerClient inner)
    {
        TypeName = typeName;
        Member = member;
        Inner = inner;
    }

    public string TypeName { get; }
    public string Member { get; }
    public InnerClient Inner { get; }
}

/// <summary>Kinds of services whose registrations GAI001 records.</summary>
[System.Flags]
internal enum ServiceKinds
{
    None = 0,
    ChatClient = 1,
    EmbeddingGenerator = 2,
    ChatCompletionService = 4,
    Agent = 8,
}

/// <summary>One row of <see cref="EntryPointCatalog.Services"/>.</summary>
internal sealed class ServiceRow
{
    public ServiceRow(string typeName, ServiceKinds registers, ServiceKinds resolvesFrom, string displayName, string requirement)
    {
        TypeName = typeName;
        Registers = registers;
        ResolvesFrom = resolvesFrom;
        DisplayName = displayName;
        Requirement = requirement;
    }

    public string TypeName { get; }
    public ServiceKinds Registers { get; }
    public ServiceKinds ResolvesFrom { get; }

    /// <summary>How messages name the service ("IEmbeddingGenerator").</summary>
    public string DisplayName { get; }

    /// <summary>What a registration of this kind must do to be budgeted, after "does not" ("go through UseBudget").</summary>
    public string Requirement { get; }

    /// <summary>Every value of the type resolves from registrations, wherever it was made (a Semantic Kernel kernel).</summary>
    public bool AlwaysFromServices { get; set; }
}

/// <summary>One row of <see cref="EntryPointCatalog.ConnectorRegistrations"/>.</summary>
internal sealed class ConnectorRegistrationRow
{
    public ConnectorRegistrationRow(string assemblyPrefix, string nameSuffix, ServiceKinds kind)
    {
        AssemblyPrefix = assemblyPrefix;
        NameSuffix = nameSuffix;
        Kind = kind;
    }

    public string AssemblyPrefix { get; }
    public string NameSuffix { get; }
    public ServiceKinds Kind { get; }
}

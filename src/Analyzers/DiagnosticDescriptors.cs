using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>The diagnostic ids GuardedAI reports. The generator relies on these rules to explain why it emitted nothing.</summary>
public static class DiagnosticIds
{
    /// <summary>Unguarded LLM call.</summary>
    public const string UnguardedLlmCall = "GAI001";
    /// <summary>Invalid budget.</summary>
    public const string InvalidBudget = "GAI002";
    /// <summary>Cost limit for a model with no known price or tokenizer.</summary>
    public const string UnknownModelPrice = "GAI003";
    /// <summary>[LlmBudget] on a non-partial interface.</summary>
    public const string NonPartialBudgetInterface = "GAI004";
    /// <summary>[LlmBudget] on something other than an interface.</summary>
    public const string BudgetOnNonInterface = "GAI005";
    /// <summary>Prompt placeholder with no matching parameter.</summary>
    public const string UnknownPlaceholder = "GAI006";
    /// <summary>Parameter never used in the prompt.</summary>
    public const string UnusedPromptParameter = "GAI007";
    /// <summary>Unsupported member or method signature in an [LlmBudget] interface.</summary>
    public const string UnsupportedMember = "GAI008";
    /// <summary>[AllowUnguardedLlmCalls] without a justification.</summary>
    public const string MissingJustification = "GAI009";
    /// <summary>[LlmBudget] interface in a compilation without Microsoft.Extensions.AI.Abstractions.</summary>
    public const string ChatAbstractionsNotReferenced = "GAI010";
    /// <summary>A function-invoking (loop-making) client added after UseBudget in a ChatClientBuilder chain.</summary>
    public const string FunctionInvocationBeneathBudget = "GAI011";
}

/// <summary>Every descriptor of the GuardedAI analyzers, in one place so that ids, severities and help links stay consistent.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "GuardedAI";

    /// <summary>
    /// Where every diagnostic's help link points: <c>HelpLinkBase + id + ".md"</c>, a page that ships with GuardedAI — at
    /// this path in the repository and in the package — since the project has no web site: a link to one that does not
    /// exist helps nobody. The only place the address is written (the build prints it after each message, and a test
    /// checks that every descriptor's page exists), so publishing the docs on a site is a one-line change.
    /// </summary>
    public const string HelpLinkBase = "docs/diagnostics/";

    // Neutral wording: the model may be a paid API or a local one (Ollama, a Docker model runner); either way the call
    // runs without a request, token or cost limit.
    private const string UnguardedMessage = "'{0}' calls a model without a GuardedAI budget: {1}";
    private const string UnguardedDescription =
        "A model call outside a budget runs without any limit on requests, tokens or cost, with no circuit breaker and no usage record. Call the model through a [LlmBudget] interface, a BudgetChatClient, a ChatClientBuilder pipeline that calls UseBudget (or an agent or kernel built on one), or mark the code [AllowUnguardedLlmCalls(\"why\")].";

    public static readonly DiagnosticDescriptor UnguardedLlmCall = Create(
        DiagnosticIds.UnguardedLlmCall, "Unguarded LLM call", UnguardedMessage, DiagnosticSeverity.Warning, UnguardedDescription);

    /// <summary>
    /// The same rule as <see cref="UnguardedLlmCall"/>, for calls whose client comes from a field, a property or dependency
    /// injection: those can only be decided once every assignment and registration in the compilation has been seen, so
    /// they are reported at the end of the compilation (which the IDE shows on a full build or full-solution analysis).
    /// </summary>
    public static readonly DiagnosticDescriptor UnguardedLlmCallCompilationEnd = Create(
        DiagnosticIds.UnguardedLlmCall, "Unguarded LLM call", UnguardedMessage, DiagnosticSeverity.Warning, UnguardedDescription,
        WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor InvalidBudget = Create(
        DiagnosticIds.InvalidBudget,
        "Invalid budget",
        "Budget '{0}' on '{1}' is invalid: {2}",
        DiagnosticSeverity.Error,
        "The runtime refuses this policy when the client is created; the build refuses it first. Every limit must be positive, a per-request cap must fit within every window limit of its dimension, a shorter window's limit must not exceed a longer window's, and thresholds must satisfy 0 < warn < critical <= trip <= 100.");

    public static readonly DiagnosticDescriptor UnknownModelPrice = Create(
        DiagnosticIds.UnknownModelPrice,
        "Cost limit for a model with no known price or tokenizer",
        "Budget '{0}' on '{1}' sets a cost limit, but model '{2}' has no known price or tokenizer; its spend will be estimated with the configured default price",
        DiagnosticSeverity.Warning,
        "A cost limit is only as good as the price it is computed with. GuardedAI knows exactly the models of its embedded price table (OpenAI, Anthropic, Google, Mistral), after provider prefixes, date stamps and aliases are resolved as the runtime resolves them; for any other model, configure a price or expect the estimate to be off.");

    public static readonly DiagnosticDescriptor NonPartialBudgetInterface = Create(
        DiagnosticIds.NonPartialBudgetInterface,
        "[LlmBudget] interface must be partial",
        "Interface '{0}' has [LlmBudget] but is not partial, so the generator cannot make it an IChatClient or emit its guard",
        DiagnosticSeverity.Error,
        "The generator adds IChatClient to the interface's base list and emits a guarded implementation next to it; both need a partial declaration.");

    /// <summary>GAI004 for a type the interface is nested in: the generator re-declares every containing type as partial.</summary>
    public static readonly DiagnosticDescriptor NonPartialContainingType = Create(
        DiagnosticIds.NonPartialBudgetInterface,
        "[LlmBudget] interface must be partial",
        "Interface '{0}' has [LlmBudget] but its containing type '{1}' is not partial, so the generator cannot emit its guard next to it",
        DiagnosticSeverity.Error,
        "The generator emits the guard of a nested interface inside the same containing types, which it re-declares as partial; every type the interface is nested in must be partial too.");

    public static readonly DiagnosticDescriptor BudgetOnNonInterface = Create(
        DiagnosticIds.BudgetOnNonInterface,
        "[LlmBudget] must be on an interface",
        "'{0}' is a {1}; [LlmBudget] goes on a partial interface",
        DiagnosticSeverity.Error,
        "The generator implements [LlmBudget] interfaces; on any other kind of type the attribute has no effect and nothing is guarded.");

    public static readonly DiagnosticDescriptor UnknownPlaceholder = Create(
        DiagnosticIds.UnknownPlaceholder,
        "Prompt placeholder has no matching parameter",
        "The prompt of '{0}' has placeholder '{1}', which {2}",
        DiagnosticSeverity.Error,
        "Each {name} in an [LlmPrompt] template or System message is replaced by the parameter of that name; a placeholder that matches no parameter cannot be filled. Write {{ and }} for literal braces.");

    /// <summary>GAI006 for a method inherited from a base interface: reported on the [LlmBudget] interface that inherits it.</summary>
    public static readonly DiagnosticDescriptor UnknownPlaceholderInherited = Create(
        DiagnosticIds.UnknownPlaceholder,
        "Prompt placeholder has no matching parameter",
        "'{0}' cannot be generated: the prompt of inherited method '{1}' has placeholder '{2}', which {3}",
        DiagnosticSeverity.Error,
        "Each {name} in an [LlmPrompt] template or System message is replaced by the parameter of that name; a placeholder that matches no parameter cannot be filled. Write {{ and }} for literal braces. The generator implements inherited [LlmPrompt] methods too, so their templates must be valid.");

    public static readonly DiagnosticDescriptor UnusedPromptParameter = Create(
        DiagnosticIds.UnusedPromptParameter,
        "Prompt parameter is never used",
        "Parameter '{0}' of '{1}' is never used in its prompt",
        DiagnosticSeverity.Warning,
        "A parameter that no placeholder refers to is silently dropped: the model never sees it. Add a {name} placeholder or remove the parameter.");

    /// <summary>GAI007 for a method inherited from a base interface: reported on the [LlmBudget] interface that inherits it.</summary>
    public static readonly DiagnosticDescriptor UnusedPromptParameterInherited = Create(
        DiagnosticIds.UnusedPromptParameter,
        "Prompt parameter is never used",
        "'{0}' cannot be generated: parameter '{1}' of inherited method '{2}' is never used in its prompt",
        DiagnosticSeverity.Warning,
        "A parameter that no placeholder refers to is silently dropped: the model never sees it. Add a {name} placeholder or remove the parameter. The generator implements inherited [LlmPrompt] methods too.");

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        DiagnosticIds.UnsupportedMember,
        "Unsupported member in an [LlmBudget] interface",
        "'{0}' cannot be generated: {1}",
        DiagnosticSeverity.Error,
        "The generator implements [LlmPrompt] methods that return Task<string>, Task<T> or IAsyncEnumerable<string>, take their placeholder values plus at most one CancellationToken and one ChatOptions, and have no type parameters or ref/out/in parameters. Any other member without a default implementation cannot be generated. The interface itself must not be generic or file-local.");

    /// <summary>GAI008 for a member inherited from a base interface: reported on the [LlmBudget] interface that inherits it.</summary>
    public static readonly DiagnosticDescriptor UnsupportedInheritedMember = Create(
        DiagnosticIds.UnsupportedMember,
        "Unsupported member in an [LlmBudget] interface",
        "'{0}' cannot be generated because of inherited member '{1}': {2}",
        DiagnosticSeverity.Error,
        "The generator implements every abstract member of the interface and of its base interfaces (other than IChatClient and IDisposable). Each must be an [LlmPrompt] method that returns Task<string>, Task<T> or IAsyncEnumerable<string>; give other members a default implementation or move them out of the interface's bases.");

    public static readonly DiagnosticDescriptor ChatAbstractionsNotReferenced = Create(
        DiagnosticIds.ChatAbstractionsNotReferenced,
        "Microsoft.Extensions.AI is not referenced",
        "Interface '{0}' has [LlmBudget], but Microsoft.Extensions.AI.IChatClient is not in the compilation, so the generator cannot emit its guard",
        DiagnosticSeverity.Error,
        "The generated guard is an IChatClient built on Microsoft.Extensions.AI. Reference the Microsoft.Extensions.AI.Abstractions package (the GuardedAI package brings it in unless transitive references are disabled).");

    public static readonly DiagnosticDescriptor MissingJustification = Create(
        DiagnosticIds.MissingJustification,
        "[AllowUnguardedLlmCalls] needs a justification",
        "[AllowUnguardedLlmCalls] on '{0}' has no justification; say why these calls may bypass the budget",
        DiagnosticSeverity.Warning,
        "Every exception to the budget should be explained where it is made, so that a reviewer can judge it.");

    /// <summary>GAI002 for a <c>BudgetPolicy.Create(...)…Build()</c> chain of constants: the runtime's own message, reported on the call at fault.</summary>
    public static readonly DiagnosticDescriptor InvalidFluentBudget = Create(
        DiagnosticIds.InvalidBudget,
        "Invalid budget",
        "Budget '{0}' is invalid: {1}",
        DiagnosticSeverity.Error,
        "Build() throws BudgetPolicyException for this policy at run time; the build refuses it first, with the same rules and words. Every limit must be positive (a whole number for requests and tokens), a per-request cap must fit within every window limit of its dimension, a shorter window's limit must not exceed a longer window's, and thresholds must satisfy 0 < warn < critical <= trip <= 100.");

    /// <summary>GAI003 for a <c>BudgetPolicy</c> builder chain: reported on <c>ForModel(...)</c>.</summary>
    public static readonly DiagnosticDescriptor UnknownModelPriceFluent = Create(
        DiagnosticIds.UnknownModelPrice,
        "Cost limit for a model with no known price or tokenizer",
        "Budget '{0}' sets a cost limit, but model '{1}' has no known price or tokenizer; its spend will be estimated with the configured default price",
        DiagnosticSeverity.Warning,
        "A cost limit is only as good as the price it is computed with. GuardedAI knows exactly the models of its embedded price table (OpenAI, Anthropic, Google, Mistral), after provider prefixes, date stamps and aliases are resolved as the runtime resolves them; for any other model, configure a price or expect the estimate to be off.");

    public static readonly DiagnosticDescriptor FunctionInvocationBeneathBudget = Create(
        DiagnosticIds.FunctionInvocationBeneathBudget,
        "Function invocation beneath the budget guard",
        "'{0}' is called after 'UseBudget', so the tool loop ends up beneath the budget guard and the pipeline throws when it is built; the first Use… call is the outermost: call '{0}' before 'UseBudget'",
        DiagnosticSeverity.Error,
        "Microsoft.Extensions.AI builds a ChatClientBuilder pipeline so that the first Use… call is the outermost client and the last one sits next to the provider. The budget guard must sit next to the provider, inside any tool loop, so that each provider request is reserved on its own; BudgetChatClient refuses a function-invoking client beneath it. Write new ChatClientBuilder(provider).UseFunctionInvocation().UseBudget(...).Build().");

    private static DiagnosticDescriptor Create(
        string id, string title, string message, DiagnosticSeverity severity, string description, params string[] customTags) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, description, HelpLinkBase + id + ".md", customTags);
}

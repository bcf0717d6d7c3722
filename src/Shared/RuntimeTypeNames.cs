// Metadata names of the runtime types that build time looks up (Compilation.GetTypeByMetadataName) or names in
// generated code. Compiled into the runtime, the generator and the analyzers; a test resolves each one in the runtime
// assembly, so a rename there fails the build-time side's tests instead of silently disabling a check.
namespace GuardedAI.Schema;

internal static class RuntimeTypeNames
{
    public const string Namespace = "GuardedAI";
    public const string LlmBudgetAttribute = "GuardedAI.LlmBudgetAttribute";
    public const string LlmPromptAttribute = "GuardedAI.LlmPromptAttribute";
    public const string BudgetEngine = "GuardedAI.BudgetEngine";
    public const string BudgetPolicy = "GuardedAI.BudgetPolicy";
    public const string BudgetPolicyBuilder = "GuardedAI.BudgetPolicyBuilder";
    public const string BudgetTier = "GuardedAI.BudgetTier";
    public const string EnforcementMode = "GuardedAI.EnforcementMode";
    public const string BudgetDimension = "GuardedAI.BudgetDimension";
    public const string BudgetWindow = "GuardedAI.BudgetWindow";
    public const string BudgetChatClient = "GuardedAI.BudgetChatClient";
    public const string BudgetChatClientBuilderExtensions = "GuardedAI.BudgetChatClientBuilderExtensions";

    /// <summary>Every name above that is a type, for the test that resolves them against the runtime.</summary>
    public static readonly string[] All =
    {
        LlmBudgetAttribute, LlmPromptAttribute, BudgetEngine, BudgetPolicy, BudgetPolicyBuilder, BudgetTier, BudgetDimension,
        BudgetWindow, BudgetChatClient, BudgetChatClientBuilderExtensions,
    };
}

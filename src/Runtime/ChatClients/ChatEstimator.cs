using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Estimates a chat call for the middleware: prompt tokens counted with the model's tokenizer (chat overhead and tool
/// definitions included), plus the output cap, priced with the engine's prices. Counting stops just past the policy's
/// input cap, and prompts above the engine's <see cref="BudgetEngineOptions.MaxPromptCharacters"/> are refused before
/// any tokenizing. The engine itself knows no Microsoft.Extensions.AI type; this is where chat meets it.
/// </summary>
internal static class ChatEstimator
{
    /// <summary>The estimate, or — for a prompt too large to count — the denial.</summary>
    public static ChatEstimate Estimate(
        BudgetEngine engine, BudgetPolicy policy, IEnumerable<ChatMessage> messages, ChatOptions? options, ITokenCounter? counter = null, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(messages);
        var parts = engine.Parts;
        model ??= options?.ModelId ?? policy.Model;
        counter ??= parts.Tokenizers.ForModel(model);
        // A list constructor, not LINQ's ToList: a ReadyToRun method that calls LINQ loads System.Linq when first called.
        var list = messages as IReadOnlyCollection<ChatMessage> ?? new List<ChatMessage>(messages);

        // Every content kind counts (function calls and results, data, instructions, tools, schemas), and measuring stops
        // just past the limit: a 50 MB prompt of any shape is refused in time linear in what was looked at.
        var characters = ChatPromptMeasure.Characters(list, options, parts.MaxPromptCharacters);
        if (characters > parts.MaxPromptCharacters)
        {
            return new(new UsageEstimate(model, 0, 0, 0), Denials.PromptTooLarge(policy.Name, characters, parts.MaxPromptCharacters));
        }

        var cap = policy.MaxInputTokens ?? int.MaxValue;
        var input = ChatPromptMeasure.Tokens(counter, list, options, cap);
        long output = options?.MaxOutputTokens ?? policy.MaxOutputTokens ?? 0;
        return new(new UsageEstimate(model, input, output, parts.Pricing.Cost(model, new TokenUsage(input, output))), null);
    }
}

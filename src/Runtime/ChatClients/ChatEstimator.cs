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
    public static (UsageEstimate Estimate, BudgetDenial? Denial) Estimate(
        BudgetEngine engine, BudgetPolicy policy, IEnumerable<ChatMessage> messages, ChatOptions? options, ITokenCounter? counter = null, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(messages);
        var parts = engine.Parts;
        model ??= options?.ModelId ?? policy.Model;
        counter ??= parts.Tokenizers.ForModel(model);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();

        long characters = 0;
        foreach (var message in list)
        {
            foreach (var content in message.Contents)
            {
                if (content is TextContent text) characters += text.Text?.Length ?? 0;
            }
        }
        if (characters > parts.MaxPromptCharacters)
        {
            return (new UsageEstimate(model, 0, 0, 0), Denials.PromptTooLarge(policy.Name, characters, parts.MaxPromptCharacters));
        }

        var cap = policy.MaxInputTokens ?? int.MaxValue;
        long input = counter.CountMessages(list, cap);
        if (options?.Tools is { Count: > 0 } tools && input <= cap) input += CountTools(counter, tools);
        long output = options?.MaxOutputTokens ?? policy.MaxOutputTokens ?? 0;
        return (new UsageEstimate(model, input, output, parts.Pricing.Cost(model, new TokenUsage(input, output))), null);
    }

    /// <summary>Tool definitions are sent with every request and billed as input: count their name, description and schema.</summary>
    private static long CountTools(ITokenCounter counter, IList<AITool> tools)
    {
        long total = 0;
        foreach (var tool in tools)
        {
            total += counter.CountText(tool.Name) + counter.CountText(tool.Description ?? string.Empty);
            if (tool is AIFunctionDeclaration function) total += counter.CountText(function.JsonSchema.GetRawText());
        }
        return total;
    }
}

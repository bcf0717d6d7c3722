using System.Globalization;
using Microsoft.Extensions.AI;

namespace GuardedAI;

public sealed partial class BudgetEngine
{
    /// <summary>
    /// Estimates a chat call: prompt tokens counted with the model's tokenizer (chat overhead and tool
    /// definitions included), plus the output cap, priced with the catalogue. Counting stops just past the
    /// policy's input cap, and prompts above <see cref="BudgetEngineOptions.MaxPromptCharacters"/> are rejected
    /// before any tokenizing.
    /// </summary>
    /// <param name="policy">The budget (its model is the default, its caps bound the count).</param>
    /// <param name="messages">The prompt.</param>
    /// <param name="options">The call's options: model id, output cap, tools.</param>
    /// <param name="counter">The token counter to use; default: the model's.</param>
    /// <param name="model">The model the call goes to; default: the options' model, else the policy's.</param>
    /// <exception cref="BudgetExceededException">The prompt is larger than <see cref="BudgetEngineOptions.MaxPromptCharacters"/>.</exception>
    public UsageEstimate Estimate(BudgetPolicy policy, IEnumerable<ChatMessage> messages, ChatOptions? options, ITokenCounter? counter = null, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(messages);
        model ??= options?.ModelId ?? policy.Model;
        counter ??= Tokenizers.ForModel(model);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();

        var characters = ChatPromptMeasure.Characters(list, options, Options.MaxPromptCharacters);
        if (characters > Options.MaxPromptCharacters)
        {
            throw Deny(new BudgetExceededException(
                string.Create(CultureInfo.InvariantCulture, $"Budget '{policy.Name}' denied the call: the prompt has {characters:#,0} characters, above the limit of {Options.MaxPromptCharacters:#,0} characters GuardedAI will count. Shorten the prompt."),
                DenialKind.RequestCap, policy.Name, BudgetDimension.InputTokens, null, 0, Options.MaxPromptCharacters, characters, null),
                policy, new UsageEstimate(model, 0, 0, 0), ReservationContext.Empty, TimeProvider.GetUtcNow());
        }

        var cap = policy.MaxInputTokens ?? int.MaxValue;
        var input = ChatPromptMeasure.Tokens(counter, list, options, cap);
        long output = options?.MaxOutputTokens ?? policy.MaxOutputTokens ?? 0;
        var cost = Prices.ComputeCost(model, new TokenUsage(input, output));
        return new UsageEstimate(model, input, output, cost);
    }
}

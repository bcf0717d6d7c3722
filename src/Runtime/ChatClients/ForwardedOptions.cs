using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// The copy of a caller's <see cref="ChatOptions"/> a guard passes down when it takes its own keys out of the additional
/// properties (a tenant set per call): <see cref="ChatOptions.Clone"/> copies the additional properties into a new
/// dictionary (~270 B with its arrays and a boxed enumerator) only for the guard to replace it, so options of the
/// framework's own type are copied here property by property instead, every other property as <c>Clone</c> copies it.
/// A derived type is cloned by its own <c>Clone</c>.
/// </summary>
/// <remarks><c>ForwardedOptionsTests</c> sets every settable property and compares with <c>Clone</c>: the same values,
/// and a new instance exactly where <c>Clone</c> makes one, so a property a later Microsoft.Extensions.AI adds fails it.</remarks>
internal static class ForwardedOptions
{
    /// <summary>A copy of <paramref name="options"/> whose additional properties are <paramref name="properties"/>.</summary>
    public static ChatOptions With(ChatOptions options, AdditionalPropertiesDictionary? properties)
    {
        if (options.GetType() != typeof(ChatOptions))
        {
            var cloned = options.Clone();
            cloned.AdditionalProperties = properties;
            return cloned;
        }
        return new ChatOptions
        {
            AdditionalProperties = properties,
            AllowBackgroundResponses = options.AllowBackgroundResponses,
            AllowMultipleToolCalls = options.AllowMultipleToolCalls,
            ContinuationToken = options.ContinuationToken,
            ConversationId = options.ConversationId,
            FrequencyPenalty = options.FrequencyPenalty,
            Instructions = options.Instructions,
            MaxOutputTokens = options.MaxOutputTokens,
            ModelId = options.ModelId,
            PresencePenalty = options.PresencePenalty,
            RawRepresentationFactory = options.RawRepresentationFactory,
            Reasoning = options.Reasoning is { } reasoning ? new ReasoningOptions { Effort = reasoning.Effort, Output = reasoning.Output } : null,
            ResponseFormat = options.ResponseFormat,
            Seed = options.Seed,
            StopSequences = options.StopSequences is { } stops ? new List<string>(stops) : null,
            Temperature = options.Temperature,
            ToolMode = options.ToolMode,
            Tools = options.Tools is { } tools ? new List<AITool>(tools) : null,
            TopK = options.TopK,
            TopP = options.TopP,
        };
    }

    /// <summary>The same for an embedding guard: a copy of <paramref name="options"/> whose additional properties are
    /// <paramref name="properties"/> (<see cref="EmbeddingGenerationOptions.Clone"/> would copy them first).</summary>
    public static EmbeddingGenerationOptions With(EmbeddingGenerationOptions options, AdditionalPropertiesDictionary? properties)
    {
        if (options.GetType() != typeof(EmbeddingGenerationOptions))
        {
            var cloned = options.Clone();
            cloned.AdditionalProperties = properties;
            return cloned;
        }
        return new EmbeddingGenerationOptions
        {
            AdditionalProperties = properties,
            Dimensions = options.Dimensions,
            ModelId = options.ModelId,
            RawRepresentationFactory = options.RawRepresentationFactory,
        };
    }
}

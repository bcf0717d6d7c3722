using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Counts a streamed response as it arrives: the usage the provider reports (<see cref="UsageContent"/>), the text, and
/// the output tokens counted chunk by chunk, so the guard knows the moment a provider streams past the output it
/// reserved — a provider that ignores <c>max_tokens</c> is stopped within one chunk instead of after the stream ends.
/// </summary>
internal sealed class StreamMeter(ITokenCounter counter, long reservedOutputTokens)
{
    private readonly StringBuilder _text = new();

    public UsageDetails? Reported { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Output tokens counted so far (each chunk counted on its own: never fewer than the whole text has).</summary>
    public long CountedOutputTokens { get; private set; }

    /// <summary>Whether what arrived is past the reserved output.</summary>
    public bool IsPastReservation => OutputSoFar > reservedOutputTokens;

    private long OutputSoFar => Math.Max(CountedOutputTokens, Reported?.OutputTokenCount ?? 0);

    public void Observe(ChatResponseUpdate update)
    {
        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case UsageContent usage:
                    (Reported ??= new UsageDetails()).Add(usage.Details);
                    break;
                case TextContent text when !string.IsNullOrEmpty(text.Text):
                    _text.Append(text.Text);
                    CountedOutputTokens += counter.CountText(text.Text);
                    break;
                case TextReasoningContent reasoning when !string.IsNullOrEmpty(reasoning.Text):
                    _text.Append(reasoning.Text);
                    CountedOutputTokens += counter.CountText(reasoning.Text);
                    break;
            }
        }
    }

    /// <summary>The update that ends a stream the guard cut: a finish reason of <see cref="ChatFinishReason.Length"/> and
    /// <see cref="BudgetChatClient.StopReasonKey"/> saying why.</summary>
    public ChatResponseUpdate CutOffUpdate(string budget) => new()
    {
        Role = ChatRole.Assistant,
        FinishReason = ChatFinishReason.Length,
        AdditionalProperties = new() { [BudgetChatClient.StopReasonKey] = CutOffReason(budget) },
    };

    public string CutOffReason(string budget) => string.Create(CultureInfo.InvariantCulture,
        $"GuardedAI stopped the stream of budget '{budget}': the provider streamed {OutputSoFar:#,0} output tokens, past the {reservedOutputTokens:#,0} reserved; the request was cancelled and what arrived is counted.");
}

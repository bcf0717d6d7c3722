using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Counts a streamed response as it arrives: the usage the provider reports (<see cref="UsageContent"/>), the text, and
/// the output tokens counted chunk by chunk, so the guard knows the moment a provider streams past the output it
/// reserved — a provider that ignores <c>max_tokens</c> is stopped within one chunk instead of after the stream ends.
/// </summary>
/// <remarks>
/// In a process's first second the vocabulary may still be loading, and a chunk then counts as its safe upper bound
/// (its UTF-8 length), several times its real count: a stream would be cut long before it reached its reservation. So
/// the chunks counted with the bound are kept, and only when the bound says the reservation is passed does
/// <see cref="IsPastReservationAsync"/> wait for the vocabulary and count them again exactly. Below the reservation by
/// the bound means below it exactly (the bound is never below the exact count), so nothing waits then.
/// </remarks>
internal sealed class StreamMeter(ITokenCounter counter, long reservedOutputTokens)
{
    private readonly StringBuilder _text = new();
    private List<string>? _boundedChunks;
    private long _boundedTokens;

    public UsageDetails? Reported { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Output tokens counted so far (each chunk counted on its own: never fewer than the whole text has).</summary>
    public long CountedOutputTokens { get; private set; }

    /// <summary>Whether what arrived is past the reserved output, as counted so far (possibly with the upper bound).</summary>
    public bool IsPastReservation => OutputSoFar > reservedOutputTokens;

    /// <summary>Whether what arrived is past the reserved output, counted exactly: when only chunks counted with the upper
    /// bound (the vocabulary still loading) put it past, waits for the vocabulary and counts them again.</summary>
    public async ValueTask<bool> IsPastReservationAsync(CancellationToken cancellationToken)
    {
        if (!IsPastReservation) return false;
        if ((Reported?.OutputTokenCount ?? 0) > reservedOutputTokens) return true; // the provider's own word, not a bound
        if (_boundedChunks is not { Count: > 0 } chunks || counter is not ChatTokenCounter { IsLoaded: false } loading) return IsPastReservation;
        // Waiting for the vocabulary: its load starts now, not after the first call or the gate's deferral.
        VocabularyLoadGate.Process.Open();
        await loading.WhenLoaded.WaitAsync(cancellationToken).ConfigureAwait(false);
        long exact = 0;
        foreach (var chunk in chunks) exact += counter.CountText(chunk);
        CountedOutputTokens += exact - _boundedTokens;
        chunks.Clear();
        _boundedTokens = 0;
        return IsPastReservation;
    }

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
                    Count(text.Text);
                    break;
                case TextReasoningContent reasoning when !string.IsNullOrEmpty(reasoning.Text):
                    Count(reasoning.Text);
                    break;
            }
        }
    }

    private void Count(string chunk)
    {
        _text.Append(chunk);
        // Asked before counting: a vocabulary that finishes loading in between only makes a kept chunk exact already.
        var bounded = counter is ChatTokenCounter { IsLoaded: false };
        var tokens = counter.CountText(chunk);
        CountedOutputTokens += tokens;
        if (!bounded) return;
        (_boundedChunks ??= []).Add(chunk);
        _boundedTokens += tokens;
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

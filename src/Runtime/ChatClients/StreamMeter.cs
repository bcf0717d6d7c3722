using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Counts a streamed response as it arrives: the usage the provider reports (<see cref="UsageContent"/>), the text, and
/// the output tokens, so the guard knows the moment a provider streams past the output it reserved — a provider that
/// ignores <c>max_tokens</c> is stopped within one chunk instead of after the stream ends.
/// </summary>
/// <remarks>
/// Issue 16: with GuardedAI's own counters a chunk is not tokenized as it arrives. It adds its upper bound
/// (<see cref="ChatTokenCounter.Bound"/>: its UTF-8 length, never below its count), and only when the exact count of
/// the text before it plus the bounds of the chunks since could pass the reservation are those chunks counted, together,
/// exactly. A response well within its reservation, the common case, is tokenized once, at its end, for the floor under
/// the provider's report; one near it is counted chunk by chunk from where the bound first reached it. Counting the
/// chunks since the last exact count as one text also counts them as the response has them (a word split across two
/// chunks is one token, not two).
/// That is also what happens in a process's first second, while the vocabulary loads: the bound is what a count would
/// be then, and only when the bound says the reservation is passed does <see cref="IsPastReservationAsync"/> wait for
/// the vocabulary and count. Below the reservation by the bound means below it exactly, so nothing waits then.
/// Another <see cref="ITokenCounter"/> (a user's, which promises no such bound) counts each chunk as it arrives.
/// </remarks>
internal sealed class StreamMeter(ITokenCounter counter, long reservedOutputTokens)
{
    private readonly StringBuilder _text = new();
    private readonly ChatTokenCounter? _bounded = counter as ChatTokenCounter;

    /// <summary>Characters of the text counted into <see cref="CountedOutputTokens"/>; the rest is only bounded.</summary>
    private int _countedLength;

    /// <summary>The upper bound of the text after <see cref="_countedLength"/>.</summary>
    private long _pendingBound;

    public UsageDetails? Reported { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Output tokens counted so far, the text counted in the pieces it was counted in (never fewer than the whole
    /// text has); what arrived since the last count is not in it (see <see cref="IsPastReservationAsync"/>).</summary>
    public long CountedOutputTokens { get; private set; }

    /// <summary>Whether what arrived may be past the reserved output: as counted so far, with the bound of what was not.</summary>
    public bool IsPastReservation => OutputSoFar > reservedOutputTokens;

    /// <summary>Whether what arrived is past the reserved output, counted exactly: when the bound of what arrived since the
    /// last count puts it past, counts that (waiting for the vocabulary if it is still loading).</summary>
    public async ValueTask<bool> IsPastReservationAsync(CancellationToken cancellationToken)
    {
        if (!IsPastReservation) return false;
        if ((Reported?.OutputTokenCount ?? 0) > reservedOutputTokens) return true; // the provider's own word, not a bound
        if (_countedLength == _text.Length) return true;                           // counted exactly already
        if (_bounded is { IsLoaded: false } loading)
        {
            // Waiting for the vocabulary: its load starts now, not after the first call or the gate's deferral.
            VocabularyLoadGate.Process.Open();
            await loading.WhenLoaded.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        CountPending();
        return IsPastReservation;
    }

    private long OutputSoFar => Math.Max(CountedOutputTokens + _pendingBound, Reported?.OutputTokenCount ?? 0);

    /// <summary>What the guard knows arrived, counted or reported (for the cut-off's reason).</summary>
    private long KnownOutput => Math.Max(CountedOutputTokens, Reported?.OutputTokenCount ?? 0);

    public void Observe(ChatResponseUpdate update)
    {
        // By index: a foreach over the contents' interface boxed an enumerator for every update.
        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case UsageContent usage:
                    (Reported ??= new UsageDetails()).Add(usage.Details);
                    break;
                case TextContent text when !string.IsNullOrEmpty(text.Text):
                    Add(text.Text);
                    break;
                case TextReasoningContent reasoning when !string.IsNullOrEmpty(reasoning.Text):
                    Add(reasoning.Text);
                    break;
            }
        }
    }

    private void Add(string chunk)
    {
        _text.Append(chunk);
        if (_bounded is not null)
        {
            _pendingBound += _bounded.Bound(chunk);
            return;
        }
        CountedOutputTokens += counter.CountText(chunk);
        _countedLength = _text.Length;
    }

    /// <summary>Counts the text after <see cref="_countedLength"/> as one text, to its end: the count is the cut-off's
    /// figure, and the response is counted whole at its end anyway (for the floor under the provider's report).</summary>
    private void CountPending()
    {
        CountedOutputTokens += counter.CountText(_text.ToString(_countedLength, _text.Length - _countedLength));
        _countedLength = _text.Length;
        _pendingBound = 0;
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
        $"GuardedAI stopped the stream of budget '{budget}': the provider streamed {KnownOutput:#,0} output tokens, past the {reservedOutputTokens:#,0} reserved; the request was cancelled and what arrived is counted.");
}

using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Counts chat prompts with a Tiktoken vocabulary. Chat formats add tokens around every message: following
/// OpenAI's published accounting, each message costs 3 tokens plus its role, its content and (when set) its
/// author name plus 1, and every prompt 3 more to prime the reply. Counts of message texts are cached by
/// content, because a chat re-sends its whole history on every call: estimating a long conversation then costs
/// about as much as tokenizing its newest message. Counting takes time linear in the text read and stops once the
/// count passes the cap (see <see cref="BoundedBpeCounter"/>); every content kind counts (see <see cref="PromptContent"/>).
/// </summary>
internal sealed class ChatTokenCounter : ITokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;
    private const int CacheCapacity = 8192;
    private const int MinCachedLength = 32;
    private const int MaxLookupLength = 1_000_000;

    /// <summary>Tokens charged for an image, whatever its size: a high-detail 1024×1024 image in OpenAI's accounting.</summary>
    public const int TokensPerImage = PromptContent.TokensPerImage;

    private readonly BoundedBpeCounter _tokenizer;
    private readonly double _margin;
    private readonly ConcurrentDictionary<string, int> _cache = new(StringComparer.Ordinal);

    internal ChatTokenCounter(string encoding, bool isExact, double margin)
    {
        _tokenizer = TokenizerEncodings.Get(encoding);
        Encoding = isExact ? encoding : $"approx({encoding}×{margin:0.##})";
        IsExact = isExact;
        _margin = margin;
    }

    /// <inheritdoc/>
    public string Encoding { get; }

    /// <inheritdoc/>
    public bool IsExact { get; }

    /// <inheritdoc/>
    public int CountText(string text, int maxTokens = int.MaxValue)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        // Looking a text up hashes all of it; a huge text counted against a cap is cheaper to count (counting stops at the cap).
        var lookUp = text.Length >= MinCachedLength && (text.Length <= MaxLookupLength || maxTokens == int.MaxValue);
        if (lookUp && _cache.TryGetValue(text, out var cached)) return cached;

        // Stop once the scaled count must pass the cap: a 10 MB prompt costs no more to reject than a small one.
        var rawCap = maxTokens == int.MaxValue ? long.MaxValue : (long)Math.Floor(maxTokens / _margin);
        var raw = _tokenizer.Count(text, rawCap);
        var count = Scale(raw);
        if (raw > rawCap) return Math.Max(count, maxTokens + 1); // stopped early: a lower bound, not cached

        if (text.Length >= MinCachedLength)
        {
            if (_cache.Count >= CacheCapacity) _cache.Clear();
            _cache.TryAdd(text, count);
        }
        return count;
    }

    /// <inheritdoc/>
    public int CountMessages(IEnumerable<ChatMessage> messages, int maxTokens = int.MaxValue)
    {
        long total = ReplyPriming;
        foreach (var message in messages)
        {
            var remaining = (int)Math.Max(0, Math.Min(int.MaxValue, (long)maxTokens - total));
            total += TokensPerMessage + CountText(message.Role.Value, remaining);
            if (!string.IsNullOrEmpty(message.AuthorName)) total += TokensPerName + CountText(message.AuthorName!, remaining);
            foreach (var content in message.Contents)
            {
                if (total > maxTokens) return (int)Math.Min(int.MaxValue, total);
                total += CountContent(content, (int)Math.Max(0, Math.Min(int.MaxValue, (long)maxTokens - total)));
            }
            if (total > maxTokens) return (int)Math.Min(int.MaxValue, total);
        }
        return (int)Math.Min(int.MaxValue, total);
    }

    private int CountContent(AIContent content, int remaining)
    {
        var fixedTokens = PromptContent.FixedTokens(content);
        if (fixedTokens > 0) return (int)Math.Min(int.MaxValue, fixedTokens);
        return PromptContent.Text(content) is { Length: > 0 } text ? CountText(text, remaining) : 0;
    }

    private int Scale(long raw) => (int)Math.Min(int.MaxValue, IsExact ? raw : Math.Ceiling(raw * _margin));
}

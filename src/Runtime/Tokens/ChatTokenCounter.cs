using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace GuardedAI;

/// <summary>
/// Counts chat prompts with a Tiktoken vocabulary. Chat formats add tokens around every message: following
/// OpenAI's published accounting, each message costs 3 tokens plus its role, its content and (when set) its
/// author name plus 1, and every prompt 3 more to prime the reply. Counts of message texts are cached by
/// content, because a chat re-sends its whole history on every call: estimating a long conversation then costs
/// about as much as tokenizing its newest message.
/// </summary>
internal sealed class ChatTokenCounter : ITokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;
    private const int CacheCapacity = 8192;
    private const int MinCachedLength = 32;

    /// <summary>Tokens charged for an image, whatever its size: a high-detail 1024×1024 image in OpenAI's accounting.</summary>
    public const int TokensPerImage = 765;

    private readonly Tokenizer _tokenizer;
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
        if (text.Length >= MinCachedLength && _cache.TryGetValue(text, out var cached)) return cached;

        int count;
        if (maxTokens == int.MaxValue)
        {
            count = Scale(_tokenizer.CountTokens(text));
        }
        else
        {
            // Stop as soon as the cap is passed: a 10 MB prompt costs no more to reject than a small one.
            var rawCap = (int)Math.Min(int.MaxValue - 1L, (long)Math.Ceiling(maxTokens / _margin) + 1);
            _tokenizer.GetIndexByTokenCount(text, rawCap, out _, out var raw);
            count = Scale(raw);
            if (raw >= rawCap) return Math.Max(count, maxTokens + 1); // stopped early: a lower bound, not cached
        }

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

    private int CountContent(AIContent content, int remaining) => content switch
    {
        TextContent text => CountText(text.Text, remaining),
        TextReasoningContent reasoning => CountText(reasoning.Text, remaining),
        FunctionCallContent call => CountText(call.Name, remaining) + CountText(Serialize(call.Arguments), remaining),
        FunctionResultContent result => CountText(Serialize(result.Result), remaining),
        DataContent data when data.HasTopLevelMediaType("image") => TokensPerImage,
        UriContent uri when uri.HasTopLevelMediaType("image") => TokensPerImage,
        _ => 0,
    };

    private static string Serialize(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        _ => JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions),
    };

    private int Scale(int raw) => IsExact ? raw : (int)Math.Min(int.MaxValue, Math.Ceiling(raw * _margin));
}

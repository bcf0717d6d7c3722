using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>Counts the tokens a model will bill for text and chat messages.</summary>
public interface ITokenCounter
{
    /// <summary>The encoding or approximation used, e.g. <c>o200k_base</c>.</summary>
    string Encoding { get; }

    /// <summary>Whether counts are exact for the model (an offline tokenizer exists) or an approximation with a margin.</summary>
    bool IsExact { get; }

    /// <summary>Counts <paramref name="text"/> as ordinary text; special-token strings in it are not special.</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxTokens">Stop counting once the count exceeds this; the result is then <c>maxTokens + 1</c> or more.</param>
    int CountText(string text, int maxTokens = int.MaxValue);

    /// <summary>Counts a chat prompt, with the per-message overhead the provider adds.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="maxTokens">Stop counting once the count exceeds this.</param>
    int CountMessages(IEnumerable<ChatMessage> messages, int maxTokens = int.MaxValue);
}

using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace GuardedAI.Generator.Tests.Runtime;

/// <summary>An inner client that records what reached it and answers with fixed text, streamed in chunks.</summary>
internal sealed class FakeChatClient : IChatClient
{
    public sealed record Call(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, CancellationToken CancellationToken, bool Streaming);

    public List<Call> Calls { get; } = new();

    /// <summary>The answer text (a JSON document for structured output).</summary>
    public string Reply { get; set; } = "Fine, thanks.";

    /// <summary>Chunks a streaming answer is cut into.</summary>
    public string[] Chunks { get; set; } = { "Release", " notes", ": ", "", "faster." };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls.Add(new Call(messages.ToList(), options, cancellationToken, Streaming: false));
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Reply))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls.Add(new Call(messages.ToList(), options, cancellationToken, Streaming: true));
        foreach (string chunk in Chunks)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk);
        }

        yield return new ChatResponseUpdate { Contents = { new UsageContent(new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 }) } };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}

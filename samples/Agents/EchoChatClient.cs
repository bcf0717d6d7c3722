using Microsoft.Extensions.AI;

namespace Agents;

/// <summary>Stands in for a real provider so the sample runs offline: answers with the last message, and reports usage.</summary>
internal sealed class EchoChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = "echo: " + messages.Last().Text;
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = messages.Sum(m => m.Text.Length / 4 + 1), OutputTokenCount = text.Length / 4 + 1 },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "echo: " + messages.Last().Text);
    }

    // Semantic Kernel reads the client's metadata before it sends a prompt.
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("echo", null, "echo-1")
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() { }
}

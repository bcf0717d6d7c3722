using System.Runtime.CompilerServices;

namespace GuardedAI.Tests;

/// <summary>An inner client whose behaviour each test scripts; it records what the guard sent.</summary>
internal sealed class FakeChatClient : IChatClient
{
    public Func<IList<ChatMessage>, ChatOptions?, ChatResponse>? Respond { get; set; }
    public Func<IList<ChatMessage>, ChatOptions?, IEnumerable<ChatResponseUpdate>>? Stream { get; set; }
    public Exception? Throw { get; set; }
    public ChatOptions? LastOptions { get; private set; }
    public List<IList<ChatMessage>> Requests { get; } = new();
    public string ModelId { get; set; } = "gpt-4o-mini";

    /// <summary>Updates the last stream produced, and whether it ended by cancellation of the token it was given.</summary>
    public int StreamedUpdates { get; private set; }
    public bool StreamSawCancellation { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Add(list);
        LastOptions = options;
        cancellationToken.ThrowIfCancellationRequested();
        if (Throw is not null) throw Throw;
        return Task.FromResult(Respond?.Invoke(list, options) ?? new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Add(list);
        LastOptions = options;
        StreamedUpdates = 0;
        try
        {
            foreach (var update in Stream!(list, options))
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                StreamedUpdates++;
                yield return update;
            }
            if (Throw is not null) throw Throw;
        }
        finally
        {
            StreamSawCancellation = cancellationToken.IsCancellationRequested;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, ModelId) : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}

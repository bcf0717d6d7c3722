// Deliberate unguarded LLM calls: `dotnet build samples/UnguardedCalls` prints a GAI001 warning for each marked line.
using GuardedAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using UnguardedCalls;

IChatClient provider = new EchoChatClient();

// GAI001: a pipeline without UseBudget.
var client = new ChatClientBuilder(provider).UseFunctionInvocation().Build();
Console.WriteLine(await client.GetResponseAsync("What does a budget do?"));

// GAI001: streaming is a model call too.
await foreach (var update in client.GetStreamingResponseAsync("Stream it"))
    Console.Write(update.Text);
Console.WriteLine();

// GAI001: a DI-injected client whose registration does not go through UseBudget.
var services = new ServiceCollection();
services.AddChatClient(provider).UseLogging();
services.AddSingleton<Summarizer>();
using var serviceProvider = services.BuildServiceProvider();
Console.WriteLine(await serviceProvider.GetRequiredService<Summarizer>().SummarizeAsync("a long text"));

// GAI001: an entry point listed in GuardedAI.EntryPoints.txt.
Console.WriteLine(await new LegacyGateway().CompleteAsync("hello"));

// No warning: an explained exception.
Console.WriteLine(await Evaluation.RunAsync(provider));

namespace UnguardedCalls
{
    /// <summary>Gets its client from dependency injection.</summary>
    internal sealed class Summarizer(IChatClient chat)
    {
        public async Task<string> SummarizeAsync(string text) => (await chat.GetResponseAsync($"Summarize: {text}")).Text;
    }

    /// <summary>A home-grown gateway that calls a provider over HTTP; listed in GuardedAI.EntryPoints.txt.</summary>
    internal sealed class LegacyGateway
    {
        public Task<string> CompleteAsync(string prompt) => Task.FromResult($"(legacy) {prompt}");
    }

    internal static class Evaluation
    {
        [AllowUnguardedLlmCalls("Offline evaluation against a local echo model; never reaches a paid provider.")]
        public static async Task<string> RunAsync(IChatClient model) => (await model.GetResponseAsync("2+2?")).Text;
    }

    /// <summary>Stands in for a real provider so the sample runs offline.</summary>
    internal sealed class EchoChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "echo: " + messages.Last().Text)));

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "echo: " + messages.Last().Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}

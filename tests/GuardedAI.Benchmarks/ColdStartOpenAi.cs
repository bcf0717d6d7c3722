using GuardedAI.Tests;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The cold start with a real client: each child makes its first call with OpenAI's SDK through Microsoft.Extensions.AI
/// (<c>coldstart openai-bare|openai-guarded</c>) to a loopback server that answers every request with one chat
/// completion in OpenAI's wire format. The bare client's first call then pays for what an app's first LLM call pays
/// anyway (HttpClient, sockets, the thread pool, JSON), so the difference between the two is what GuardedAI adds to a
/// real app's first answer. Reported beside <c>cold_start_ratio</c>, whose bare client answers from memory.
/// </summary>
internal static class ColdStartOpenAi
{
    private const string Completion = """
        {"id":"chatcmpl-coldstart","object":"chat.completion","created":1764720000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Your order shipped yesterday."},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":8,"total_tokens":28}}
        """;

    /// <summary>Both modes alternated <paramref name="runs"/> times from <paramref name="program"/>, against one server.</summary>
    public static ColdStart.Result Run(int runs, string program)
    {
        var server = new LoopbackHttpServer((_, _) => (200, Completion));
        try
        {
            var environment = new Dictionary<string, string> { ["GUARDEDAI_COLDSTART_OPENAI_URL"] = new Uri(server.BaseAddress, "v1").ToString() };
            var result = ColdStart.Run(runs, program, "openai-bare", "openai-guarded", environment);
            var answered = server.Requests.Count;
            if (answered < 2 * runs)
                throw new InvalidOperationException($"The loopback server answered {answered} requests for {2 * runs} children: a child did not call it.");
            return result;
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

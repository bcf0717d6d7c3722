using System.Net;
using System.Net.Sockets;
using System.Text;

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
        using var server = new LoopbackServer();
        var environment = new Dictionary<string, string> { ["GUARDEDAI_COLDSTART_OPENAI_URL"] = server.Url };
        var result = ColdStart.Run(runs, program, "openai-bare", "openai-guarded", environment);
        if (server.Answered < 2 * runs)
            throw new InvalidOperationException($"The loopback server answered {server.Answered} requests for {2 * runs} children: a child did not call it.");
        return result;
    }

    /// <summary>An HTTP listener on 127.0.0.1 that answers every request with <see cref="Completion"/>.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;
        private int _answered;

        public LoopbackServer()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/v1";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public int Answered => Volatile.Read(ref _answered);

        private async Task ServeAsync()
        {
            var body = Encoding.UTF8.GetBytes(Completion);
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;   // stopped
                }
                // The request's body is read to its end, as a real server reads it, before the answer goes.
                await context.Request.InputStream.CopyToAsync(Stream.Null);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
                Interlocked.Increment(ref _answered);
            }
        }

        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try { _serving.Wait(TimeSpan.FromSeconds(5)); }
            catch (AggregateException) { }
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace GuardedAI.Sdk.Tests;

/// <summary>What the loopback provider answers to one request.</summary>
internal sealed record ProviderReply
{
    public int Status { get; init; } = 200;

    /// <summary>A JSON body sent whole (ignored when <see cref="Events"/> is set).</summary>
    public string Body { get; init; } = "{}";

    /// <summary>Server-sent events, each written and flushed on its own, as a streaming provider sends them.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>Never answer: the client's timeout is what ends the request.</summary>
    public bool Hang { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public static ProviderReply Json(string body) => new() { Body = body };

    public static ProviderReply Sse(params string[] events) => new() { Events = events };
}

/// <summary>One request the loopback provider received.</summary>
internal sealed record ProviderRequest(string Method, string Path, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A real HTTP server on 127.0.0.1 (a free port) in front of which a real provider SDK is pointed. It answers each
/// request with what the test's handler returns — JSON, a server-sent-event stream, an error with headers, silence,
/// or a connection dropped mid-stream — and keeps every request it received.
/// </summary>
internal sealed class ProviderServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<ProviderRequest, ProviderReply> _handler;
    private readonly List<ProviderRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public ProviderServer(Func<ProviderRequest, ProviderReply> handler)
    {
        _handler = handler;
        BaseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Answers every request the same way.</summary>
    public ProviderServer(ProviderReply reply) : this(_ => reply) { }

    public Uri BaseAddress { get; }

    public IReadOnlyList<ProviderRequest> Requests { get { lock (_requests) return _requests.ToArray(); } }

    private async Task ServeAsync()
    {
        var inFlight = new List<Task>();
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            // Stopping completes the pending wait with an error, and may run this continuation inside Stop(), before the
            // listener says it stopped: the server's own flag, set first, says so (a clone's test run once failed there).
            catch (Exception) when (_stopping.IsCancellationRequested || !_listener.IsListening) { break; }
            catch (HttpListenerException) { break; }
            inFlight.Add(Task.Run(() => AnswerAsync(context)));
        }
        try { await Task.WhenAll(inFlight); } catch { /* a dropped connection ends its task with an error on purpose */ }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var request = new ProviderRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, await reader.ReadToEndAsync());
        lock (_requests) _requests.Add(request);
        var reply = _handler(request);
        var response = context.Response;
        if (reply.Hang)
        {
            try { await Task.Delay(Timeout.Infinite, _stopping.Token); } catch (OperationCanceledException) { }
            response.Abort();
            return;
        }

        response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers) response.Headers[name] = value;
        if (reply.Events is null)
        {
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
            return;
        }

        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        foreach (var e in reply.Events)
        {
            var bytes = Encoding.UTF8.GetBytes(e.EndsWith("\n\n", StringComparison.Ordinal) ? e : e + "\n\n");
            await response.OutputStream.WriteAsync(bytes);
            await response.OutputStream.FlushAsync();
        }
        response.Close();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        _listener.Close();
        await _loop;
        _stopping.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardedAI.Alerts.Tests;

/// <summary>One request a <see cref="LoopbackReceiver"/> received.</summary>
internal sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>What the receiver does with a request: answer with a status (and headers), or hang until the test ends.</summary>
internal sealed record Answer(int Status, string Body = "", bool Hang = false, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static Answer Ok { get; } = new(200, "ok");
}

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener on a free port). Each request is recorded and answered with the next
/// scripted <see cref="Answer"/> (the last one repeats); a hanging answer never responds, so the client's attempt
/// timeout fires.
/// </summary>
internal sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly Answer[] _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _count;

    public LoopbackReceiver(params Answer[] script)
    {
        _script = script.Length == 0 ? [Answer.Ok] : script;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            try
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/");
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add(BaseAddress.ToString());
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToArray();

    public int Count => Volatile.Read(ref _count);

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery, headers, body));
        var index = Interlocked.Increment(ref _count) - 1;
        var answer = _script[Math.Min(index, _script.Length - 1)];
        if (answer.Hang)
        {
            try { await Task.Delay(Timeout.Infinite, _stop.Token); } catch (OperationCanceledException) { }
            return;
        }
        try
        {
            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    internal static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
    }
}

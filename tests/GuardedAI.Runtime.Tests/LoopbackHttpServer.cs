using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardedAI.Tests;

/// <summary>
/// A real HTTP server on 127.0.0.1 (a free port) that answers each request with what the test's handler returns, and
/// keeps the request bodies it received. Used to put real provider SDKs in front of a wire-format answer.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string, (int Status, string Body)> _handler;
    private readonly List<string> _requests = new();
    private readonly Task _loop;

    public LoopbackHttpServer(Func<string, string, (int Status, string Body)> handler)
    {
        _handler = handler;
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<string> Requests { get { lock (_requests) return _requests.ToArray(); } }

    private volatile bool _stopping;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            // Stopping completes the pending wait with an error, and may run this continuation inside Stop(), before the
            // listener says it stopped: the server's own flag, set first, says so.
            catch (Exception) when (_stopping || !_listener.IsListening) { return; }
            catch (HttpListenerException) { return; }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            lock (_requests) _requests.Add(body);
            var (status, answer) = _handler(context.Request.Url!.AbsolutePath, body);
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardedAI.Sdk.Tests;

/// <summary>
/// A loopback HTTP/1.1 server, on a raw socket, that starts a chunked server-sent-event stream, sends some events and
/// then resets the connection (no final chunk): what a client sees when the network or the provider drops a stream
/// half-way. HttpListener cannot do this, since it always ends a chunked body cleanly.
/// </summary>
internal sealed class DroppingStreamServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyList<string> _events;
    private readonly Task _loop;

    public DroppingStreamServer(IReadOnlyList<string> events)
    {
        _events = events;
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _loop = Task.Run(ServeOneAsync);
    }

    public Uri BaseAddress { get; }

    private async Task ServeOneAsync()
    {
        using var socket = await _listener.AcceptSocketAsync();
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await ReadRequestAsync(stream);
        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        foreach (var e in _events)
        {
            var payload = Encoding.UTF8.GetBytes(e + "\n\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{payload.Length:X}\r\n"));
            await stream.WriteAsync(payload);
            await stream.WriteAsync("\r\n"u8.ToArray());
            await stream.FlushAsync();
        }
        // Linger 0: close with a reset, so the client's read fails instead of seeing a clean end.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    /// <summary>Reads the request's head and its Content-Length body, so the client is waiting for the answer.</summary>
    private static async Task ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(buffer))
        {
            if (await stream.ReadAsync(one) == 0) return;
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray());
        var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try { await _loop; } catch (Exception) { /* the listener stopped before a client came, or the client left first */ }
    }
}

using System.Net;
using System.Net.Sockets;

namespace GuardedAI.Alerts.Tests;

/// <summary>
/// Alert targets that are, spell or resolve to loopback, private, link-local, unique-local or metadata addresses are
/// refused when the connection is made — including redirects and DNS answers that change after a check — and each
/// refusal is proven against a real listener that would have accepted the connection.
/// </summary>
public class SsrfTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.10.1", "link-local")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("100.100.100.200", "cloud metadata")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("::", "unspecified")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd12:3456::1", "unique-local")]
    [InlineData("fd00:ec2::254", "cloud metadata")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("64:ff9b::7f00:1", "loopback via NAT64 (127.0.0.1)")]
    [InlineData("2002:a9fe:a9fe::1", "cloud metadata via 6to4 (169.254.169.254)")]
    public void Non_public_addresses_are_refused_naming_why(string address, string category)
    {
        Assert.Equal(category, new AlertTargetGuard().RefusalReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.Null(new AlertTargetGuard().RefusalReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("2130706433")]      // decimal
    [InlineData("017700000001")]    // octal, one part
    [InlineData("0177.0.0.1")]      // octal parts
    [InlineData("0x7f.0.0.1")]      // hex parts
    [InlineData("0x7f000001")]      // hex, one part
    [InlineData("0x7F.1")]          // two parts
    [InlineData("127.1")]
    [InlineData("127.0.0.1.")]      // trailing dot
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("[::ffff:7f00:1]")]
    [InlineData("[::1]")]
    [InlineData("[0:0:0:0:0:0:0:1]")]
    public async Task Every_spelling_of_loopback_is_refused_before_a_byte_is_sent(string host)
    {
        await using var receiver = new LoopbackReceiver();
        var guard = new AlertTargetGuard();
        using var client = new HttpClient(guard.CreateHandler());
        var url = new Uri($"http://{host}:{receiver.BaseAddress.Port}/hook");

        var literal = Assert.Throws<AlertTargetRefusedException>(() => guard.CheckLiteral(url.IdnHost, "GuardedAI:Alerts:Slack:x:WebhookUrl"));
        Assert.Contains("loopback", literal.Message);
        Assert.Contains("GuardedAI:Alerts:Slack:x:WebhookUrl", literal.Message);
        var refused = await Assert.ThrowsAsync<AlertTargetRefusedException>(() => new SlackAlertSink("x", client, url).SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());
        Assert.Contains("loopback", refused.Message);
        Assert.Equal(0, receiver.Count);
    }

    [Fact]
    public async Task An_allowed_network_is_reached()
    {
        await using var receiver = new LoopbackReceiver();
        using var client = new HttpClient(new AlertTargetGuard(AlertTargetGuard.ParseNetworks(["127.0.0.0/8"])).CreateHandler());

        await new SlackAlertSink("x", client, new Uri($"http://0x7f.1:{receiver.BaseAddress.Port}/hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None);

        Assert.Equal(1, receiver.Count);
    }

    [Fact]
    public async Task A_name_that_resolves_to_a_private_address_after_the_check_is_refused_at_connect()
    {
        await using var receiver = new LoopbackReceiver();
        var answers = new Queue<IPAddress>([IPAddress.Parse("93.184.216.34"), IPAddress.Loopback]);
        var lookups = 0;
        var guard = new AlertTargetGuard(resolve: (host, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Task.FromResult(new[] { answers.Dequeue() });
        });
        using var client = new HttpClient(guard.CreateHandler());

        var checkedAddresses = await guard.ResolveAllowedAsync("hooks.rebind.test"); // the check: a public answer
        Assert.Equal([IPAddress.Parse("93.184.216.34")], checkedAddresses);
        var error = await Assert.ThrowsAsync<AlertTargetRefusedException>(() =>
            new SlackAlertSink("x", client, new Uri($"http://hooks.rebind.test:{receiver.BaseAddress.Port}/hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        Assert.Contains("hooks.rebind.test", error.Message);
        Assert.Contains("127.0.0.1 (loopback)", error.Message);
        Assert.Equal(2, lookups);
        Assert.Equal(0, receiver.Count);
    }

    [Fact]
    public async Task A_name_is_resolved_once_per_connection_and_the_socket_connects_to_the_address_that_was_checked()
    {
        // HttpListener answers a Host it was not bound to itself; a raw responder counts the connection whatever the Host.
        await using var receiver = new RawHttpResponder();
        var lookups = 0;
        var guard = new AlertTargetGuard(AlertTargetGuard.ParseNetworks(["127.0.0.1"]), (_, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Task.FromResult(new[] { IPAddress.Parse("10.9.9.9"), IPAddress.Loopback }); // one refused, one allowed
        });
        using var client = new HttpClient(guard.CreateHandler());

        await new SlackAlertSink("x", client, new Uri($"http://hooks.internal.test:{receiver.BaseAddress.Port}/hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None);

        Assert.Equal(1, lookups);
        Assert.Equal(1, receiver.Count);
    }

    [Theory]
    [InlineData("http://127.0.0.2:{port}/internal")]
    [InlineData("http://[::1]:{port}/internal")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://2130706434:{port}/internal")]
    public async Task A_redirect_to_a_private_address_is_not_followed(string location)
    {
        using var inner = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        inner.Start();
        var innerPort = ((IPEndPoint)inner.LocalEndpoint).Port;
        var accepted = inner.AcceptTcpClientAsync();
        var target = location.Replace("{port}", innerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await using var receiver = new LoopbackReceiver(new Answer(307, Headers: new Dictionary<string, string> { ["Location"] = target }));
        using var client = new HttpClient(new AlertTargetGuard(AlertTargetGuard.ParseNetworks(["127.0.0.1/32"])).CreateHandler());

        var error = await Assert.ThrowsAsync<AlertTargetRefusedException>(() =>
            new SlackAlertSink("x", client, new Uri(receiver.BaseAddress, "hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        Assert.Equal(1, receiver.Count); // the allowed receiver answered with the redirect…
        Assert.False(accepted.IsCompleted); // …and nothing connected to where it pointed
        Assert.Matches("loopback|cloud metadata", error.Message);
    }

    [Fact]
    public async Task A_redirect_to_an_allowed_address_is_followed()
    {
        await using var final = new LoopbackReceiver();
        await using var receiver = new LoopbackReceiver(new Answer(307, Headers: new Dictionary<string, string> { ["Location"] = new Uri(final.BaseAddress, "final").ToString() }));
        using var client = new HttpClient(new AlertTargetGuard(AlertTargetGuard.ParseNetworks(["127.0.0.1/32"])).CreateHandler());

        await new SlackAlertSink("x", client, new Uri(receiver.BaseAddress, "hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None);

        Assert.Equal("/final", Assert.Single(final.Requests).Path);
    }

    [Fact]
    public async Task A_refused_target_is_not_retried_by_the_resilience_pipeline()
    {
        await using var receiver = new LoopbackReceiver();
        var (services, client) = TestAlerts.Http(o => o.AllowedNetworks.Clear());
        await using var scope = services;

        await Assert.ThrowsAsync<AlertTargetRefusedException>(() =>
            new SlackAlertSink("x", client, new Uri(receiver.BaseAddress, "hook")).SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());
        Assert.Equal(0, receiver.Count);
    }

    /// <summary>Accepts connections on 127.0.0.1 and answers each request 200, whatever its Host header.</summary>
    private sealed class RawHttpResponder : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _loop;
        private int _count;

        public RawHttpResponder()
        {
            _listener.Start();
            BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient client;
                    try { client = await _listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
                    Interlocked.Increment(ref _count);
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[65536];
                        var read = 0;
                        while (read < buffer.Length && !System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            var n = await stream.ReadAsync(buffer.AsMemory(read));
                            if (n == 0) break;
                            read += n;
                        }
                        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
                    }
                }
            });
        }

        public Uri BaseAddress { get; }

        public int Count => Volatile.Read(ref _count);

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _loop;
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace GuardedAI.Tests;

public class WebhookAlertSinkTests
{
    [Fact]
    public async Task Alerts_are_posted_as_json_with_a_text_field()
    {
        using var server = new LoopbackServer(HttpStatusCode.OK);
        var sink = new WebhookAlertSink(new HttpClient(), new Uri(server.Url + "hooks/T000/SECRET-TOKEN"));
        var alert = new BudgetAlert(AlertLevel.Critical, "bot", BudgetDimension.CostUsd, BudgetWindow.Day, 0.45m, 0.5m, 90, "Budget 'bot': daily cost at 90%.", TestEngine.Start);

        await sink.SendAsync(alert, CancellationToken.None);

        var (path, body) = await server.Received;
        Assert.Equal("/hooks/T000/SECRET-TOKEN", path);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Budget 'bot': daily cost at 90%.", json.RootElement.GetProperty("text").GetString());
        Assert.Equal("Critical", json.RootElement.GetProperty("level").GetString());
        Assert.Equal(0.45m, json.RootElement.GetProperty("used").GetDecimal());
    }

    [Fact]
    public async Task A_failing_webhook_reports_the_status_without_the_secret_url()
    {
        using var server = new LoopbackServer(HttpStatusCode.Forbidden);
        var sink = new WebhookAlertSink(new HttpClient(), new Uri(server.Url + "hooks/SECRET-TOKEN?key=hunter2"));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => sink.SendAsync(
            new BudgetAlert(AlertLevel.Warning, "bot", null, null, 0, 0, 0, "m", TestEngine.Start), CancellationToken.None).AsTask());

        Assert.Contains("403", error.Message);
        Assert.DoesNotContain("SECRET-TOKEN", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
        Assert.DoesNotContain("SECRET-TOKEN", sink.ToString());
    }

    [Fact]
    public void A_non_http_url_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new WebhookAlertSink(new HttpClient(), new Uri("file:///etc/passwd")));
        Assert.Contains("scheme is 'file'", error.Message);
    }

    /// <summary>A one-request HTTP server on 127.0.0.1 that records what it receives.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly TaskCompletionSource<(string, string)> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LoopbackServer(HttpStatusCode status)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                var context = await _listener.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                context.Response.StatusCode = (int)status;
                context.Response.Close();
                _received.TrySetResult((context.Request.Url!.AbsolutePath, body));
            });
        }

        public string Url { get; }

        public Task<(string Path, string Body)> Received => _received.Task.WaitAsync(TimeSpan.FromSeconds(10));

        public void Dispose() => _listener.Close();
    }
}

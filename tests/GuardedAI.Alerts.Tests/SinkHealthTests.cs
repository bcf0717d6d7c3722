using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Alerts.Tests;

/// <summary>
/// Channels that fail for real — a webhook answering 404, an SMTP port nobody listens on — cost one log line per lost
/// alert (no stack trace), and the other sinks hear about it once, and again once it delivers.
/// </summary>
public class SinkHealthTests
{
    private static readonly AlertTargetGuard Loopback = new(AlertTargetGuard.ParseNetworks(["127.0.0.1/32"]));

    [Fact]
    public async Task A_bad_webhook_and_an_unreachable_smtp_server_log_one_line_per_alert_and_are_reported_once()
    {
        await using var receiver = new LoopbackReceiver(new Answer(404, "no_service"));
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var chat = new SlackAlertSink("team-chat", client, new Uri(receiver.BaseAddress, "services/T000/B000/TOPSECRET"));
        var mail = new SmtpAlertSink("on-call", new SmtpChannelOptions
        {
            Host = "127.0.0.1", Port = ClosedPort(), From = "guardedai@example.com", To = ["ops@example.com"], MaxAttempts = 1, TimeoutSeconds = 5,
        }, Loopback);
        var others = new RecordingSink("ops");
        var log = new LogLines();
        await using var dispatcher = new AlertDispatcher([chat, mail, others], new AlertSettings(), TimeProvider.System, log, null, null);

        for (var i = 1; i <= 3; i++) dispatcher.Publish(TestAlerts.Critical($"bot-{i}"));
        await dispatcher.FlushAsync();   // every send attempted; the health alerts are queued by then
        await dispatcher.FlushAsync();   // …and delivered

        // Each failing sink was told once that the other one fails, and lost that too: 4 sends each, no ping-pong.
        Assert.Equal(4, receiver.Count);
        foreach (var (sink, reason) in new[] { ("team-chat", "404"), ("on-call", "127.0.0.1") })
        {
            var lines = log.About(sink);
            Assert.Equal(4, lines.Count);                                             // one line per lost alert
            Assert.All(lines, l => Assert.Null(l.Exception));                         // no stack trace
            Assert.All(lines, l => Assert.DoesNotContain('\n', l.Message));
            Assert.All(lines, l => Assert.Contains(reason, l.Message, StringComparison.Ordinal));
            Assert.Equal([1405, 1401, 1401, 1401], lines.Select(l => l.EventId));           // the first says the sink is failing
            var health = Assert.Single(others.Received, a => a.Level == AlertLevel.AlertSinkFailing && a.Scope == sink);
            Assert.Contains(reason, health.Message, StringComparison.Ordinal);
        }
        Assert.Equal(3, others.Received.Count(a => a.Level == AlertLevel.Critical));
        Assert.DoesNotContain(log.Lines, l => l.Message.Contains("TOPSECRET", StringComparison.Ordinal));
        Assert.DoesNotContain(others.Received, a => a.Message.Contains("TOPSECRET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sink_that_delivers_again_is_reported_recovered_once_and_never_tells_itself()
    {
        await using var receiver = new LoopbackReceiver(new Answer(404, "no_service"), new Answer(404, "no_service"), Answer.Ok);
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var chat = new SlackAlertSink("team-chat", client, new Uri(receiver.BaseAddress, "services/T/B/X"));
        var others = new RecordingSink("ops");
        var log = new LogLines();
        await using var dispatcher = new AlertDispatcher([chat, others], new AlertSettings(), TimeProvider.System, log, null, null);

        for (var i = 1; i <= 4; i++) dispatcher.Publish(TestAlerts.Critical($"bot-{i}"));
        await dispatcher.FlushAsync();
        await dispatcher.FlushAsync();

        Assert.Equal(4, receiver.Count);   // 404, 404, then 200 twice: the health alerts did not go to the sink they are about
        Assert.DoesNotContain(receiver.Requests, r => r.Body.Contains("alert channel", StringComparison.Ordinal));
        Assert.Equal([AlertLevel.AlertSinkFailing, AlertLevel.AlertSinkRecovered],
            others.Received.Where(a => a.Level is AlertLevel.AlertSinkFailing or AlertLevel.AlertSinkRecovered).Select(a => a.Level));
        Assert.Contains("2 alert(s) failed", others.Received.Single(a => a.Level == AlertLevel.AlertSinkRecovered).Message, StringComparison.Ordinal);
        Assert.Equal([1405, 1401, 1406], log.About("team-chat").Select(l => l.EventId));
    }

    [Fact]
    public void A_reason_is_one_line_without_an_address_path_or_credentials()
    {
        var ex = new HttpRequestException("Sending to https://user:pa55@hooks.slack.com/services/T0/B0/SECRET failed\nsecond line",
            new SocketException((int)SocketError.ConnectionRefused));

        var reason = AlertFailureReason.Describe(ex);

        Assert.StartsWith("HttpRequestException: Sending to https://hooks.slack.com/… failed second line <- ", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class RecordingSink(string name) : IBudgetAlertSink
    {
        private readonly ConcurrentQueue<BudgetAlert> _received = new();
        public string Name => name;
        public IReadOnlyList<BudgetAlert> Received => _received.ToArray();
        public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
        {
            _received.Enqueue(alert);
            return ValueTask.CompletedTask;
        }
    }

    internal sealed record LogLine(LogLevel Level, int EventId, string Message, Exception? Exception);

    /// <summary>A logger that keeps each entry as written: level, event id, message and exception.</summary>
    private sealed class LogLines : ILogger
    {
        private readonly ConcurrentQueue<LogLine> _lines = new();
        public IReadOnlyList<LogLine> Lines => _lines.ToArray();
        public IReadOnlyList<LogLine> About(string sink) => Lines.Where(l => l.Message.Contains($"sink {sink} ", StringComparison.Ordinal)).ToList();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(new LogLine(logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Alerts.Tests;

/// <summary>Deliveries through the registered HTTP client retry what a later attempt can fix, and nothing else.</summary>
public class RetryTests
{
    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task A_transient_status_is_retried_until_it_succeeds(int status)
    {
        await using var receiver = new LoopbackReceiver(new Answer(status), new Answer(status), Answer.Ok);
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var sink = new SlackAlertSink("chat", client, new Uri(receiver.BaseAddress, "services/T/B/SECRET"));

        await sink.SendAsync(TestAlerts.Critical(), CancellationToken.None);

        Assert.Equal(3, receiver.Count);
        Assert.Single(receiver.Requests.Select(r => r.Body).Distinct()); // the same body each time
    }

    [Fact]
    public async Task An_attempt_that_times_out_is_retried()
    {
        await using var receiver = new LoopbackReceiver(new Answer(200, Hang: true), Answer.Ok);
        var (services, client) = TestAlerts.Http(o => o.Http.AttemptTimeoutSeconds = 1);
        await using var scope = services;
        var sink = new DiscordAlertSink("discord", client, new Uri(receiver.BaseAddress, "api/webhooks/1/TOKEN"));

        await sink.SendAsync(TestAlerts.Critical(), CancellationToken.None); // would throw had the timed-out attempt not been retried

        // Usually two attempts: the one that hung and the one answered. On a busy machine the answered attempt can itself
        // run past the attempt timeout and is then retried the same way, so more than two is not a failure; fewer is.
        Assert.InRange(receiver.Count, 2, 5); // at most MaxRetries (4) + 1
        Assert.Single(receiver.Requests.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_the_error_names_neither_path_nor_token()
    {
        await using var receiver = new LoopbackReceiver(new Answer(404, "channel_not_found"));
        var logs = new RecordingLoggerProvider();
        var (services, client) = TestAlerts.Http(null, logs);
        await using var scope = services;
        var sink = new SlackAlertSink("chat", client, new Uri(receiver.BaseAddress, "services/T000/B000/TOPSECRET?token=hunter2"));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => sink.SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        Assert.Equal(1, receiver.Count);
        Assert.Contains("404", error.Message);
        Assert.Contains("channel_not_found", error.Message);
        Assert.Contains($"http://127.0.0.1:{receiver.BaseAddress.Port}/…", error.Message);
        Assert.DoesNotContain("TOPSECRET", error.ToString());
        Assert.DoesNotContain("hunter2", error.ToString());
        Assert.DoesNotContain("TOPSECRET", sink.ToString());
    }

    [Fact]
    public async Task Retries_and_failures_log_nothing_that_holds_the_webhook_token()
    {
        await using var receiver = new LoopbackReceiver(new Answer(500), new Answer(500), new Answer(500), new Answer(500), new Answer(500));
        var logs = new RecordingLoggerProvider();
        var (services, client) = TestAlerts.Http(o => o.Http.MaxRetries = 2, logs);
        await using var scope = services;
        var sink = new SlackAlertSink("chat", client, new Uri(receiver.BaseAddress, "services/T000/B000/TOPSECRET"));

        await Assert.ThrowsAsync<HttpRequestException>(() => sink.SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        Assert.Equal(3, receiver.Count);
        Assert.NotEmpty(logs.Messages); // the resilience pipeline did log its retries
        Assert.DoesNotContain(logs.Messages, m => m.Contains("TOPSECRET", StringComparison.Ordinal));
    }
}

/// <summary>Keeps every log message (with exceptions) written through it, at every level.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider, ILogger
{
    private readonly List<string> _messages = new();

    public IReadOnlyList<string> Messages { get { lock (_messages) return _messages.ToArray(); } }

    public ILogger CreateLogger(string categoryName) => this;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull
    {
        lock (_messages) _messages.Add("scope: " + state);
        return null;
    }
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var text = formatter(state, exception) + " " + exception;
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs) text += " " + string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}"));
        lock (_messages) _messages.Add(text);
    }
    public void Dispose() { }
}

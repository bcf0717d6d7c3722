using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuardedAI.Tests;

public class EmailAlertSinkTests
{
    [Fact]
    public async Task Critical_alerts_are_mailed_through_smtp_and_warnings_are_not()
    {
        using var smtp = new LoopbackSmtpServer();
        var sink = new EmailAlertSink(new EmailAlertOptions { Host = "127.0.0.1", Port = smtp.Port, EnableSsl = false, From = "guard@example.com", To = "ops@example.com, cfo@example.com" });

        await sink.SendAsync(new BudgetAlert(AlertLevel.Warning, "bot", null, null, 0, 0, 70, "just a warning", TestEngine.Start), CancellationToken.None);
        await sink.SendAsync(new BudgetAlert(AlertLevel.Critical, "bot", BudgetDimension.CostUsd, BudgetWindow.Day, 0.45m, 0.5m, 90, "Budget 'bot': daily cost at 90%.", TestEngine.Start), CancellationToken.None);

        var session = await smtp.Session;
        Assert.Contains("MAIL FROM:<guard@example.com>", session);
        Assert.Contains("RCPT TO:<ops@example.com>", session);
        Assert.Contains("RCPT TO:<cfo@example.com>", session);
        Assert.Contains("Subject: [GuardedAI] Critical: bot", session);
        Assert.Contains("Budget 'bot': daily cost at 90%.", session);
        Assert.DoesNotContain("just a warning", session);
        Assert.Equal(1, smtp.Connections);
    }

    [Fact]
    public void Bad_settings_are_rejected_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new EmailAlertSink(new EmailAlertOptions { Host = "smtp.example.com", From = "guard@example.com", To = "ops@example.com, not-an-address" }));
        Assert.Equal("GuardedAI:Alerts:Email:To has 'not-an-address', which is not an e-mail address.", error.Message);
    }

    /// <summary>Enough of SMTP on 127.0.0.1 to accept one message and record the conversation.</summary>
    private sealed class LoopbackSmtpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource<string> _session = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Connections;

        public LoopbackSmtpServer()
        {
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public Task<string> Session => _session.Task.WaitAsync(TimeSpan.FromSeconds(15));

        private async Task ServeAsync()
        {
            try
            {
                using var client = await _listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref Connections);
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                var log = new StringBuilder();
                await writer.WriteLineAsync("220 localhost ESMTP test");
                while (await reader.ReadLineAsync() is { } line)
                {
                    log.AppendLine(line);
                    if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase) || line.StartsWith("HELO", StringComparison.OrdinalIgnoreCase)) await writer.WriteLineAsync("250 localhost");
                    else if (line.StartsWith("DATA", StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("354 go ahead");
                        while (await reader.ReadLineAsync() is { } data && data != ".") log.AppendLine(data);
                        await writer.WriteLineAsync("250 queued");
                    }
                    else if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase)) { await writer.WriteLineAsync("221 bye"); break; }
                    else await writer.WriteLineAsync("250 OK");
                }
                _session.TrySetResult(log.ToString());
            }
            catch (Exception ex)
            {
                _session.TrySetException(ex);
            }
        }

        public void Dispose() => _listener.Stop();
    }
}

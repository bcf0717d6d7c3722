namespace GuardedAI.Alerts.Tests;

/// <summary>Real SMTP sessions with MailKit against a loopback SMTP server: STARTTLS, implicit TLS, authentication, both bodies.</summary>
public class SmtpAlertSinkTests
{
    private static readonly AlertTargetGuard Loopback = new(AlertTargetGuard.ParseNetworks(["127.0.0.1/32"]));

    private static SmtpChannelOptions Options(LoopbackSmtpServer server, SmtpSecurity security, string? password = "s3cret-Passw0rd!") => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Security = security,
        UserName = "alerts@example.com",
        Password = password,
        From = "guardedai@example.com",
        To = ["ops@example.com", "cfo@example.com"],
        ServerCertificateThumbprint = server.Thumbprint,
        MaxAttempts = 1,
    };

    [Fact]
    public async Task An_alert_is_mailed_over_starttls_with_authentication_and_both_bodies_say_what_happened()
    {
        await using var server = new LoopbackSmtpServer();
        var sink = new SmtpAlertSink("on-call", Options(server, SmtpSecurity.StartTls), Loopback);
        var alert = TestAlerts.Critical("support-bot");

        await sink.SendAsync(alert, CancellationToken.None);

        var session = await server.NextSession;
        Assert.Contains("STARTTLS", session.Commands);
        Assert.True(session.TlsBeforeAuth);
        Assert.True(session.Commands.ToList().IndexOf("STARTTLS") < session.Commands.ToList().FindIndex(c => c.StartsWith("AUTH", StringComparison.Ordinal)));
        Assert.Equal(("alerts@example.com", "s3cret-Passw0rd!"), (session.User, session.Password));
        Assert.Equal("<guardedai@example.com>", session.MailFrom);
        Assert.Equal(["<ops@example.com>", "<cfo@example.com>"], session.Recipients);
        var message = session.Message!;
        Assert.Equal("[GuardedAI] Critical: GuardedAI critical: budget 'support-bot' — daily cost at 92%", message.Subject);
        foreach (var body in new[] { message.TextBody, message.HtmlBody })
        {
            Assert.NotNull(body);
            Assert.Contains("support-bot", body);
            Assert.Contains("daily cost", body);
            Assert.Contains("$4.6000 of $5.0000 (92%)", body);
            Assert.Contains("Window resets", body);
            Assert.Contains("2026-03-16 00:00:00 UTC", body);
            Assert.Contains("Projected exhaustion", body);
            Assert.Contains("2026-03-15 15:45:00 UTC", body);
            Assert.Contains("Raise the limit or find the caller.", body);
        }
        Assert.Contains("<table", message.HtmlBody);
    }

    [Fact]
    public async Task Implicit_tls_works_too()
    {
        await using var server = new LoopbackSmtpServer(implicitTls: true);
        var sink = new SmtpAlertSink("on-call", Options(server, SmtpSecurity.SslOnConnect), Loopback);

        await sink.SendAsync(TestAlerts.Critical(), CancellationToken.None);

        var session = await server.NextSession;
        Assert.DoesNotContain("STARTTLS", session.Commands);
        Assert.True(session.TlsBeforeAuth);
        Assert.NotNull(session.Message);
    }

    [Fact]
    public async Task Budget_names_cannot_inject_html()
    {
        await using var server = new LoopbackSmtpServer();
        var sink = new SmtpAlertSink("on-call", Options(server, SmtpSecurity.StartTls), Loopback);

        await sink.SendAsync(TestAlerts.Critical("<script>alert(1)</script>"), CancellationToken.None);

        var html = (await server.NextSession).Message!.HtmlBody;
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
    }

    [Fact]
    public async Task A_rejected_password_fails_with_the_servers_answer_and_never_the_password()
    {
        await using var server = new LoopbackSmtpServer();
        var sink = new SmtpAlertSink("on-call", Options(server, SmtpSecurity.StartTls, password: "wrong-Passw0rd-123"), Loopback);

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => sink.SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        Assert.Contains($"127.0.0.1:{server.Port}", error.Message);
        Assert.Contains("on-call", error.Message);
        Assert.DoesNotContain("wrong-Passw0rd-123", error.ToString());
        Assert.DoesNotContain("wrong-Passw0rd-123", sink.ToString());
    }

    [Fact]
    public async Task A_certificate_nobody_vouches_for_is_refused_unless_pinned()
    {
        await using var server = new LoopbackSmtpServer();
        var options = Options(server, SmtpSecurity.StartTls);
        options.ServerCertificateThumbprint = null;
        var sink = new SmtpAlertSink("on-call", options, Loopback);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => sink.SendAsync(TestAlerts.Critical(), CancellationToken.None).AsTask());

        var session = await server.NextSession;
        Assert.Null(session.Password); // nothing was sent over the unverified connection
        Assert.Null(session.Message);
    }

    [Fact]
    public void A_loopback_smtp_host_is_refused_without_an_allow_list_and_a_password_without_tls_is_refused()
    {
        var loopback = Assert.Throws<AlertTargetRefusedException>(() => new SmtpAlertSink("mail", new SmtpChannelOptions { Host = "127.0.0.1", From = "a@example.com", To = ["b@example.com"] }, new AlertTargetGuard()));
        Assert.Contains("loopback", loopback.Message);

        var plain = Assert.ThrowsAny<InvalidOperationException>(() => new SmtpAlertSink("mail",
            new SmtpChannelOptions { Host = "smtp.example.com", Security = SmtpSecurity.None, UserName = "u", Password = "hunter2-hunter2", From = "a@example.com", To = ["b@example.com"] }, new AlertTargetGuard()));
        Assert.Contains("GuardedAI:Alerts:Email:mail", plain.Message);
        Assert.Contains("clear text", plain.Message);
        Assert.DoesNotContain("hunter2", plain.Message);
    }
}

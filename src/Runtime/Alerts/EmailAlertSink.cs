using System.Net;
using System.Net.Mail;

namespace GuardedAI;

/// <summary>SMTP settings for <see cref="EmailAlertSink"/>.</summary>
public sealed class EmailAlertOptions
{
    /// <summary>SMTP host.</summary>
    public string Host { get; set; } = "";
    /// <summary>SMTP port (default 587).</summary>
    public int Port { get; set; } = 587;
    /// <summary>Use STARTTLS (default true).</summary>
    public bool EnableSsl { get; set; } = true;
    /// <summary>Sender address.</summary>
    public string From { get; set; } = "";
    /// <summary>Recipients, comma-separated.</summary>
    public string To { get; set; } = "";
    /// <summary>SMTP user name, if the server needs one.</summary>
    public string? UserName { get; set; }
    /// <summary>SMTP password. Never logged, never part of an exception message.</summary>
    public string? Password { get; set; }
    /// <summary>Only alerts at or above this level are mailed (default <see cref="AlertLevel.Critical"/>).</summary>
    public AlertLevel MinimumLevel { get; set; } = AlertLevel.Critical;

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first missing or bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new InvalidOperationException("GuardedAI:Alerts:Email:Host is required.");
        if (Port is <= 0 or > 65535) throw new InvalidOperationException($"GuardedAI:Alerts:Email:Port must be 1-65535, but is {Port}.");
        if (!MailAddress.TryCreate(From, out _)) throw new InvalidOperationException($"GuardedAI:Alerts:Email:From '{From}' is not an e-mail address.");
        var to = Recipients();
        if (to.Count == 0) throw new InvalidOperationException("GuardedAI:Alerts:Email:To needs at least one address.");
        foreach (var address in to)
        {
            if (!MailAddress.TryCreate(address, out _)) throw new InvalidOperationException($"GuardedAI:Alerts:Email:To has '{address}', which is not an e-mail address.");
        }
    }

    internal IReadOnlyList<string> Recipients() => To.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Mails alerts at or above a level (critical by default: a warning at 70% is for dashboards, not inboxes).
/// Uses the framework's SMTP client, so the core package needs no mail library.
/// </summary>
public sealed class EmailAlertSink : IBudgetAlertSink
{
    private readonly EmailAlertOptions _options;

    /// <summary>Creates the sink; the options are validated now.</summary>
    public EmailAlertSink(EmailAlertOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <inheritdoc/>
    public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        if (Severity(alert.Level) < Severity(_options.MinimumLevel)) return;
        using var message = new MailMessage
        {
            From = new MailAddress(_options.From),
            Subject = $"[GuardedAI] {alert.Level}: {alert.Scope}",
            Body = $"{alert.Message}\n\nScope: {alert.Scope}\nLevel: {alert.Level}\nTime: {alert.Timestamp:u}\n" +
                   (alert.Dimension is null ? "" : $"Limit: {alert.Window?.Describe()} {alert.Dimension.Value.Describe()} {alert.Dimension.Value.Format(alert.Used)} of {alert.Dimension.Value.Format(alert.Limit)} ({alert.Percent:0.#}%)\n"),
        };
        foreach (var to in _options.Recipients()) message.To.Add(to);
        using var smtp = new SmtpClient(_options.Host, _options.Port) { EnableSsl = _options.EnableSsl, DeliveryMethod = SmtpDeliveryMethod.Network };
        if (_options.UserName is not null) smtp.Credentials = new NetworkCredential(_options.UserName, _options.Password);
        try
        {
            await smtp.SendMailAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException ex)
        {
            // SmtpException messages can echo server replies; the password is never among them, but say where we failed.
            throw new InvalidOperationException($"Mailing a GuardedAI alert through {_options.Host}:{_options.Port} failed: {ex.StatusCode}.", ex);
        }
    }

    // Threshold levels rank by urgency; breaker and store events rank with critical, closings with warnings.
    private static int Severity(AlertLevel level) => level switch
    {
        AlertLevel.Warning or AlertLevel.BreakerClosed or AlertLevel.StoreRecovered or AlertLevel.UnknownModelPrice => 0,
        AlertLevel.Critical or AlertLevel.StoreUnavailable or AlertLevel.BreakerOpened or AlertLevel.UsageAnomaly => 1,
        _ => 2,
    };
}

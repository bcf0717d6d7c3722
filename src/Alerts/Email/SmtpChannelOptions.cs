using MimeKit;

namespace GuardedAI.Alerts;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection, upgraded with STARTTLS; fails if the server does not offer it (port 587). The default.</summary>
    StartTls,
    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,
    /// <summary>No TLS at all. Only for a relay on a trusted network; refused together with a password.</summary>
    None,
}

/// <summary>One e-mail channel (<c>GuardedAI:Alerts:Email:&lt;name&gt;</c>).</summary>
public sealed class SmtpChannelOptions
{
    /// <summary>SMTP host.</summary>
    public string Host { get; set; } = "";
    /// <summary>SMTP port (default 587).</summary>
    public int Port { get; set; } = 587;
    /// <summary>TLS mode (default <see cref="SmtpSecurity.StartTls"/>).</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;
    /// <summary>User name for SMTP authentication, if the server needs one.</summary>
    public string? UserName { get; set; }
    /// <summary>Password. Never logged, never part of an alert, an exception or an export.</summary>
    public string? Password { get; set; }
    /// <summary>Sender address.</summary>
    public string From { get; set; } = "";
    /// <summary>Recipients.</summary>
    public string[] To { get; set; } = [];
    /// <summary>SHA-256 (or SHA-1) thumbprint of a server certificate to trust although no authority vouches for it
    /// (an on-premises relay with a self-signed certificate). Unset: the system's trust store decides.</summary>
    public string? ServerCertificateThumbprint { get; set; }
    /// <summary>Seconds one SMTP command may take (default 30).</summary>
    public int TimeoutSeconds { get; set; } = 30;
    /// <summary>Attempts per alert when the server is unreachable or answers a temporary (4xx) error (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first missing or bad setting by its path.</summary>
    public void Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new InvalidOperationException($"{path}:Host is required.");
        if (Port is <= 0 or > 65535) throw new InvalidOperationException($"{path}:Port must be 1-65535, but is {Port}.");
        if (!MailboxAddress.TryParse(From, out _) || !From.Contains('@')) throw new InvalidOperationException($"{path}:From '{From}' is not an e-mail address.");
        if (To.Length == 0) throw new InvalidOperationException($"{path}:To needs at least one address.");
        for (var i = 0; i < To.Length; i++)
        {
            if (!MailboxAddress.TryParse(To[i], out _) || !To[i].Contains('@')) throw new InvalidOperationException($"{path}:To:{i} '{To[i]}' is not an e-mail address.");
        }
        if (Security == SmtpSecurity.None && !string.IsNullOrEmpty(Password))
            throw new InvalidOperationException($"{path}: Security is None, so the password would cross the network in clear text; use StartTls or SslOnConnect.");
        if (UserName is not null && string.IsNullOrEmpty(Password)) throw new InvalidOperationException($"{path}:Password is required with a UserName.");
        if (TimeoutSeconds <= 0) throw new InvalidOperationException($"{path}:TimeoutSeconds must be positive, but is {TimeoutSeconds}.");
        if (MaxAttempts is < 1 or > 10) throw new InvalidOperationException($"{path}:MaxAttempts must be 1-10, but is {MaxAttempts}.");
    }
}

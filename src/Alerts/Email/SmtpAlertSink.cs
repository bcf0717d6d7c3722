using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace GuardedAI.Alerts;

/// <summary>
/// Mails alerts through SMTP with MailKit: STARTTLS or implicit TLS, authentication, a plain-text and an HTML body.
/// The connection is made through the <see cref="AlertTargetGuard"/> (no private or metadata address unless allowed).
/// An unreachable server or a temporary (4xx) answer is retried with backoff; the password never appears in a
/// message.
/// </summary>
public sealed class SmtpAlertSink : IBudgetAlertSink
{
    private readonly SmtpChannelOptions _options;
    private readonly AlertTargetGuard _guard;
    private readonly TimeProvider _time;

    /// <summary>Creates the sink; the options are validated now.</summary>
    public SmtpAlertSink(string name, SmtpChannelOptions options, AlertTargetGuard guard, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options;
        _guard = guard ?? throw new ArgumentNullException(nameof(guard));
        _time = timeProvider ?? TimeProvider.System;
        options.Validate($"GuardedAI:Alerts:Email:{name}");
        guard.CheckLiteral(options.Host, $"GuardedAI:Alerts:Email:{name}:Host");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        var message = AlertMail.Build(alert, _options);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SendOnceAsync(message, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                // Exponential backoff with jitter: 1 s, 2 s, 4 s … ± 20%.
                var delay = TimeSpan.FromSeconds(Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble()));
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (AlertTargetRefusedException)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"Mailing a GuardedAI alert through {_options.Host}:{_options.Port} (e-mail channel '{Name}') failed: {ex.GetType().Name}: {Scrub(ex.Message)}", ex);
            }
        }
    }

    private async Task SendOnceAsync(MimeKit.MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = _options.TimeoutSeconds * 1000 };
        if (_options.ServerCertificateThumbprint is { } pinned)
        {
            var expected = pinned.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || (certificate is not null && (string.Equals(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), expected, StringComparison.OrdinalIgnoreCase)
                                                || string.Equals(certificate.GetCertHashString(), expected, StringComparison.OrdinalIgnoreCase)));
        }
        var socket = await _guard.ConnectAsync(_options.Host, _options.Port, cancellationToken).ConfigureAwait(false);
        try
        {
            var security = _options.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(socket, _options.Host, _options.Port, security, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        if (_options.UserName is { } user) await client.AuthenticateAsync(user, _options.Password ?? "", cancellationToken).ConfigureAwait(false);
        await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
        await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        AlertTargetRefusedException => false,
        SocketException or IOException or ServiceNotConnectedException => true,
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        SmtpProtocolException => true,
        _ => false,
    };

    // Belt and braces: a server that echoes what it was sent must not get the password into our logs.
    private string Scrub(string text) =>
        string.IsNullOrEmpty(_options.Password) ? text : text.Replace(_options.Password, "***", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => $"E-mail '{Name}' ({_options.Host}:{_options.Port})";
}

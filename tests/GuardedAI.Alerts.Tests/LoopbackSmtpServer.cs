using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MimeKit;

namespace GuardedAI.Alerts.Tests;

/// <summary>What one SMTP session did.</summary>
internal sealed record SmtpSession(IReadOnlyList<string> Commands, bool TlsBeforeAuth, string? User, string? Password, string? MailFrom,
    IReadOnlyList<string> Recipients, MimeMessage? Message);

/// <summary>
/// A small real SMTP server on 127.0.0.1 for tests: EHLO, STARTTLS (or TLS from the first byte), AUTH PLAIN and
/// LOGIN (refused before TLS and with the wrong password), MAIL, RCPT, DATA with dot-unstuffing, QUIT. The TLS
/// certificate is self-signed, made when the server starts.
/// </summary>
internal sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly bool _implicitTls;
    private readonly string _user;
    private readonly string _password;
    private readonly List<SmtpSession> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly System.Threading.Channels.Channel<SmtpSession> _ended = System.Threading.Channels.Channel.CreateUnbounded<SmtpSession>();

    public LoopbackSmtpServer(bool implicitTls = false, string user = "alerts@example.com", string password = "s3cret-Passw0rd!")
    {
        _implicitTls = implicitTls;
        _user = user;
        _password = password;
        Certificate = CreateCertificate();
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public X509Certificate2 Certificate { get; }

    public string Thumbprint => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<SmtpSession> Sessions { get { lock (_sessions) return _sessions.ToArray(); } }

    /// <summary>The next session to end (in the order they ended).</summary>
    public Task<SmtpSession> NextSession => _ended.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // A certificate with an ephemeral key cannot serve TLS on every platform: round-trip it through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        var commands = new List<string>();
        bool tls = false, tlsBeforeAuth = false;
        string? user = null, password = null, from = null;
        var recipients = new List<string>();
        MimeMessage? message = null;
        Stream stream = client.GetStream();
        try
        {
            if (_implicitTls) (stream, tls) = (await StartTlsAsync(stream), true);
            var io = new Lines(stream);
            await io.WriteAsync("220 localhost ESMTP GuardedAI test server");
            while (await io.ReadAsync() is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                commands.Add(verb == "AUTH" ? "AUTH " + line.Split(' ')[1] : line);
                switch (verb)
                {
                    case "EHLO":
                        await io.WriteAsync("250-localhost");
                        if (!tls) await io.WriteAsync("250-STARTTLS");
                        await io.WriteAsync("250-AUTH PLAIN LOGIN");
                        await io.WriteAsync("250 8BITMIME");
                        break;
                    case "STARTTLS":
                        await io.WriteAsync("220 go ahead");
                        stream = await StartTlsAsync(stream);
                        io = new Lines(stream);
                        tls = true;
                        break;
                    case "AUTH":
                        if (!tls)
                        {
                            await io.WriteAsync("530 5.7.0 Must issue a STARTTLS command first");
                            break;
                        }
                        (user, password) = await AuthAsync(io, line);
                        tlsBeforeAuth = true;
                        if (user == _user && password == _password) await io.WriteAsync("235 2.7.0 Authentication successful");
                        else await io.WriteAsync("535 5.7.8 Authentication credentials invalid");
                        break;
                    case "MAIL":
                        from = line[(line.IndexOf(':') + 1)..].Trim();
                        await io.WriteAsync("250 OK");
                        break;
                    case "RCPT":
                        recipients.Add(line[(line.IndexOf(':') + 1)..].Trim());
                        await io.WriteAsync("250 OK");
                        break;
                    case "DATA":
                        await io.WriteAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await io.ReadAsync() is { } dataLine && dataLine != ".") data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(data.ToString())));
                        await io.WriteAsync("250 OK queued");
                        break;
                    case "QUIT":
                        await io.WriteAsync("221 bye");
                        return;
                    default:
                        await io.WriteAsync("250 OK");
                        break;
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
            commands.Add("(TLS handshake failed)");
        }
        finally
        {
            var session = new SmtpSession(commands, tlsBeforeAuth, user, password, from, recipients, message);
            lock (_sessions) _sessions.Add(session);
            _ended.Writer.TryWrite(session);
        }
    }

    private async Task<Stream> StartTlsAsync(Stream stream)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate });
        return ssl;
    }

    private static async Task<(string? User, string? Password)> AuthAsync(Lines io, string line)
    {
        var parts = line.Split(' ');
        if (parts[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
        {
            var payload = parts.Length > 2 ? parts[2] : await Continue(io, "");
            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(payload ?? "")).Split('\0');
            return fields.Length == 3 ? (fields[1], fields[2]) : (null, null);
        }
        var user = parts.Length > 2 ? Decode(parts[2]) : Decode(await Continue(io, "VXNlcm5hbWU6"));
        var password = Decode(await Continue(io, "UGFzc3dvcmQ6"));
        return (user, password);
    }

    private static async Task<string?> Continue(Lines io, string challenge)
    {
        await io.WriteAsync("334 " + challenge);
        return await io.ReadAsync();
    }

    private static string? Decode(string? base64) => base64 is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        Certificate.Dispose();
    }

    /// <summary>CRLF lines over a stream, without read-ahead past the line (so STARTTLS can take over the stream).</summary>
    private sealed class Lines(Stream stream)
    {
        public async Task WriteAsync(string line)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }

        public async Task<string?> ReadAsync()
        {
            var buffer = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one) == 0) return buffer.Count == 0 ? null : Encoding.UTF8.GetString(buffer.ToArray());
                if (one[0] == '\n') return Encoding.UTF8.GetString(buffer.ToArray()).TrimEnd('\r');
                buffer.Add(one[0]);
            }
        }
    }
}

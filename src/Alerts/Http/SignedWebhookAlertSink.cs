using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Alerts;

/// <summary>
/// POSTs each alert as JSON to any URL, signed with HMAC-SHA256 so the receiver can tell it came from here and was not
/// replayed. Headers: <c>X-GuardedAI-Timestamp</c> (Unix seconds), <c>X-GuardedAI-Signature</c>
/// (<c>v1=</c> + lower-case hex of HMAC-SHA256(secret, <c>"{timestamp}.{body}"</c>)) and <c>X-GuardedAI-Delivery</c>
/// (the alert id, the same on every retry). <c>docs/alerts.md</c> shows a receiver that verifies all three.
/// </summary>
public sealed class SignedWebhookAlertSink : IBudgetAlertSink
{
    /// <summary>The header with the Unix time the body was signed at.</summary>
    public const string TimestampHeader = "X-GuardedAI-Timestamp";

    /// <summary>The header with the signature, <c>v1=&lt;hex&gt;</c>.</summary>
    public const string SignatureHeader = "X-GuardedAI-Signature";

    /// <summary>The header with the delivery id (the alert id), for receivers that drop duplicates.</summary>
    public const string DeliveryHeader = "X-GuardedAI-Delivery";

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    /// <summary>Creates the sink.</summary>
    /// <exception cref="ArgumentException">The secret is shorter than 16 characters.</exception>
    public SignedWebhookAlertSink(string name, HttpClient http, Uri url, string secret, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (string.IsNullOrEmpty(secret) || secret.Length < 16) throw new ArgumentException("A webhook signing secret needs at least 16 characters.", nameof(secret));
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = url ?? throw new ArgumentNullException(nameof(url));
        _secret = Encoding.UTF8.GetBytes(secret);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The signature of <paramref name="body"/> sent at <paramref name="timestamp"/>: <c>v1=</c> + hex HMAC-SHA256.</summary>
    public static string Sign(string secret, long timestamp, string body)
    {
        var payload = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body);
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload));
    }

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        var body = WebhookPayload.Build(alert).ToJsonString();
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var payload = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body);
        var signature = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, payload));
        return new(WebhookPost.SendAsync(_http, _url, $"Webhook '{Name}'", body, request =>
        {
            request.Headers.Add(TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(SignatureHeader, signature);
            request.Headers.Add(DeliveryHeader, alert.Id);
        }, cancellationToken));
    }

    /// <inheritdoc/>
    public override string ToString() => $"Webhook '{Name}' ({WebhookPost.Redacted(_url)})";
}

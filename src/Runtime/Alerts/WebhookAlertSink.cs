using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace GuardedAI;

/// <summary>
/// POSTs each alert as JSON to a URL. The body carries a <c>text</c> field, so Slack and Discord-style incoming
/// webhooks show it as a message, plus the alert's fields for machines. The URL often embeds a secret token, so
/// it never appears in logs or exception messages: <see cref="ToString"/> shows only the scheme and host.
/// </summary>
public sealed class WebhookAlertSink : IBudgetAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates the sink.</summary>
    /// <exception cref="ArgumentException">The URL is not absolute http(s).</exception>
    public WebhookAlertSink(HttpClient http, Uri url)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException($"The alert webhook URL must be an absolute http(s) URL, but its scheme is '{(url.IsAbsoluteUri ? url.Scheme : "relative")}'.", nameof(url));
        _url = url;
    }

    /// <summary>The destination without path or query (which may hold a token).</summary>
    public string RedactedUrl => $"{_url.Scheme}://{_url.Authority}/…";

    /// <inheritdoc/>
    public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        var body = new WebhookBody(alert.Message, alert.Level.ToString(), alert.Scope, alert.Dimension?.ToString(), alert.Window?.ToString(),
            alert.Used, alert.Limit, Math.Round(alert.Percent, 2), alert.Timestamp);
        using var response = await _http.PostAsJsonAsync(_url, body, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The alert webhook at {RedactedUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
    }

    /// <inheritdoc/>
    public override string ToString() => $"WebhookAlertSink({RedactedUrl})";

    private sealed record WebhookBody(
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("level")] string Level,
        [property: JsonPropertyName("scope")] string Scope,
        [property: JsonPropertyName("dimension")] string? Dimension,
        [property: JsonPropertyName("window")] string? Window,
        [property: JsonPropertyName("used")] decimal Used,
        [property: JsonPropertyName("limit")] decimal Limit,
        [property: JsonPropertyName("percent")] double Percent,
        [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp);
}

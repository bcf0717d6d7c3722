using System.Net;
using System.Text;

namespace GuardedAI.Alerts;

/// <summary>
/// POSTs an alert body and says plainly what went wrong — without the URL's path or query, where webhook URLs keep
/// their secret token: only the scheme, host and port ever appear in a message.
/// </summary>
internal static class WebhookPost
{
    public static async Task SendAsync(HttpClient http, Uri url, string channel, string json, Action<HttpRequestMessage>? decorate, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        decorate?.Invoke(request);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
        {
            throw new AlertTargetRefusedException($"{channel} ({Redacted(url)}): {refused.Message}");
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            var detail = await Detail(response, url, cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"{channel} ({Redacted(url)}) answered {(int)response.StatusCode} {response.ReasonPhrase}{detail}.", null, response.StatusCode);
        }
    }

    /// <summary>The destination without path or query.</summary>
    public static string Redacted(Uri url) => $"{url.Scheme}://{url.Authority}/…";

    /// <summary>Checks a configured webhook URL, naming it by its configuration path, never by its value.</summary>
    public static Uri Validate(string? value, string path, AlertTargetGuard guard)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new InvalidOperationException($"{path} is required.");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            throw new InvalidOperationException($"{path} must be an absolute http(s) URL.");
        if (!string.IsNullOrEmpty(url.UserInfo)) throw new InvalidOperationException($"{path} must not carry a user name or password.");
        guard.CheckLiteral(url.IdnHost, path);
        return url;
    }

    private static AlertTargetRefusedException? Refusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is AlertTargetRefusedException refused) return refused;
        }
        return null;
    }

    // A short error body (Slack answers "invalid_payload", "channel_not_found"…) helps; anything that could echo the URL does not.
    private static async Task<string> Detail(HttpResponseMessage response, Uri url, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.TooManyRequests || response.Content.Headers.ContentLength is > 512) return "";
        try
        {
            var text = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            if (text.Length is 0 or > 200 || text.Contains(url.AbsolutePath.Trim('/'), StringComparison.OrdinalIgnoreCase) && url.AbsolutePath.Length > 1) return "";
            return ": " + text.ReplaceLineEndings(" ");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return "";
        }
    }
}

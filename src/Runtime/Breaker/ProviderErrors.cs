using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Reflection;

namespace GuardedAI;

/// <summary>
/// Reads what a provider SDK's exception says about rate limiting, without referencing any SDK: the HTTP status
/// (<see cref="HttpRequestException.StatusCode"/>, or a public <c>Status</c>/<c>StatusCode</c> property such as
/// System.ClientModel's <c>ClientResultException.Status</c> and the Anthropic SDK's <c>StatusCode</c>) and, where the
/// exception carries the response (<c>GetRawResponse()</c>), its <c>retry-after-ms</c> / <c>retry-after</c> header.
/// A provider's header is not trusted: a value that does not parse, is negative or absurdly long is ignored or capped.
/// </summary>
internal static class ProviderErrors
{
    /// <summary>The longest wait a provider's retry-after can impose on a breaker.</summary>
    public static readonly TimeSpan LongestRetryAfter = TimeSpan.FromHours(1);

    /// <summary>When <paramref name="error"/> (or an inner exception) is an HTTP 429, the provider's retry-after
    /// (<see cref="TimeSpan.Zero"/> when it gave none); otherwise null.</summary>
    public static TimeSpan? RateLimitedFor(Exception error, DateTimeOffset now)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (StatusOf(e) == 429) return RetryAfterOf(e, now) ?? TimeSpan.Zero;
        }
        return null;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Optional duck-typed read of SDK exception properties; absent members mean 'unknown'.")]
    private static int? StatusOf(Exception e)
    {
        if (e is HttpRequestException http) return http.StatusCode is { } code ? (int)code : null;
        var type = e.GetType();
        foreach (var name in (ReadOnlySpan<string>)["Status", "StatusCode"])
        {
            switch (type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(e))
            {
                case int status: return status;
                case HttpStatusCode code: return (int)code;
            }
        }
        return null;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Optional duck-typed read of SDK exception properties; absent members mean 'unknown'.")]
    private static TimeSpan? RetryAfterOf(Exception e, DateTimeOffset now)
    {
        try
        {
            var response = e.GetType().GetMethod("GetRawResponse", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)?.Invoke(e, null);
            var headers = response?.GetType().GetProperty("Headers", BindingFlags.Public | BindingFlags.Instance)?.GetValue(response);
            var tryGet = headers?.GetType().GetMethod("TryGetValue", BindingFlags.Public | BindingFlags.Instance, [typeof(string), typeof(string).MakeByRefType()]);
            if (tryGet is null) return null;
            if (Header(tryGet, headers!, "retry-after-ms") is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds))
            {
                return Clamp(TimeSpan.FromMilliseconds(Math.Min(milliseconds, LongestRetryAfter.TotalMilliseconds)));
            }
            return Header(tryGet, headers!, "retry-after") is { } value ? ParseRetryAfter(value, now) : null;
        }
        catch (TargetInvocationException)
        {
            return null; // an SDK whose response accessor throws simply has no retry-after for us
        }
    }

    private static string? Header(MethodInfo tryGet, object headers, string name)
    {
        object?[] args = [name, null];
        return tryGet.Invoke(headers, args) is true ? args[1] as string : null;
    }

    /// <summary>RFC 9110 Retry-After: delay-seconds or an HTTP date.</summary>
    internal static TimeSpan? ParseRetryAfter(string value, DateTimeOffset now)
    {
        value = value.Trim();
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return double.IsFinite(seconds) ? Clamp(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, LongestRetryAfter.TotalSeconds))) : null;
        }
        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? Clamp(date - now) : null;
    }

    private static TimeSpan? Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestRetryAfter ? LongestRetryAfter : wait;
}

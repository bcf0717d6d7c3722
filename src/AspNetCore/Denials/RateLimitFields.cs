using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace GuardedAI.AspNetCore;

/// <summary>
/// The rate-limit response fields of a guarded endpoint: the IETF <c>RateLimit-Policy</c> / <c>RateLimit</c> fields
/// (draft-ietf-httpapi-ratelimit-headers, structured-field syntax) for every calendar limit of the call's budget and
/// tenant, and the widely used <c>X-RateLimit-Limit</c> / <c>-Remaining</c> / <c>-Reset</c> for the most used one.
/// </summary>
/// <remarks>
/// The IETF fields carry integers, so each limit is named by scope, window and dimension (<c>"budget-day-cost"</c>)
/// and counted in its own unit: requests, tokens (<c>qu="tokens"</c>) or millionths of a dollar
/// (<c>qu="usd-micros"</c>). The <c>X-RateLimit-*</c> fields use the limit's natural unit: a cost limit is in dollars
/// (<c>0.25</c>). Every reset is in seconds from now, rounded up. Tenant names never appear in a field.
/// </remarks>
internal static class RateLimitFields
{
    public const string Policy = "RateLimit-Policy";
    public const string Current = "RateLimit";
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";

    /// <summary>Sets the fields of <paramref name="usages"/> (calendar limits only) on <paramref name="headers"/>.</summary>
    public static void Write(IHeaderDictionary headers, IReadOnlyList<LimitUsage> usages, DateTimeOffset now)
    {
        var policy = new StringBuilder();
        var current = new StringBuilder();
        LimitUsage? tightest = null;
        foreach (var usage in usages)
        {
            if (usage.Limit.Window is BudgetWindow.Conversation or BudgetWindow.Run) continue;
            var name = ItemName(usage.Scope, usage.Limit.Dimension, usage.Limit.Window);
            Append(policy, $"{name};q={Quota(usage.Limit.Dimension, usage.Limit.Amount)}{UnitParameter(usage.Limit.Dimension)};w={Seconds(usage.WindowEnd - usage.WindowStart)}");
            Append(current, $"{name};r={Quota(usage.Limit.Dimension, usage.Remaining)};t={Seconds(usage.WindowEnd - now)}");
            if (tightest is null || usage.Percent > tightest.Value.Percent) tightest = usage;
        }
        if (tightest is not { } t) return;
        headers[Policy] = policy.ToString();
        headers[Current] = current.ToString();
        headers[Limit] = Natural(t.Limit.Dimension, t.Limit.Amount);
        headers[Remaining] = Natural(t.Limit.Dimension, t.Remaining);
        headers[Reset] = Seconds(t.WindowEnd - now).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Sets the fields a denial can tell: <c>Retry-After</c> and, for a window limit, the denying limit's fields.</summary>
    public static void WriteDenial(IHeaderDictionary headers, BudgetDenial denial, (DateTimeOffset Start, DateTimeOffset End)? window, DateTimeOffset now)
    {
        if (denial.RetryAfter is { } retryAfter) headers.RetryAfter = Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
        if (denial.Kind is not (DenialKind.WindowLimit or DenialKind.BreakerOpen) || denial.Dimension is not { } dimension || denial.Window is not { } w
            || w is BudgetWindow.Conversation or BudgetWindow.Run || denial.Limit <= 0) return;
        // A breaker tripped by a limit lets nothing through until it closes, whatever is left of the limit.
        var remaining = denial.Kind == DenialKind.BreakerOpen ? 0 : Math.Max(0, denial.Limit - denial.Used);
        var reset = window is { } bounds ? bounds.End - now : denial.RetryAfter ?? TimeSpan.Zero;
        var name = ItemName(denial.Scope, dimension, w);
        if (window is { } b) headers[Policy] = $"{name};q={Quota(dimension, denial.Limit)}{UnitParameter(dimension)};w={Seconds(b.End - b.Start)}";
        headers[Current] = $"{name};r={Quota(dimension, remaining)};t={Seconds(reset)}";
        headers[Limit] = Natural(dimension, denial.Limit);
        headers[Remaining] = Natural(dimension, remaining);
        headers[Reset] = Seconds(reset).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A structured-field string naming a limit: <c>"budget-day-cost"</c>, <c>"tenant-hour-requests"</c>.</summary>
    public static string ItemName(string scope, BudgetDimension dimension, BudgetWindow window) =>
        "\"" + (scope.StartsWith("tenant:", StringComparison.Ordinal) ? "tenant" : "budget") + "-" + WindowName(window) + "-" + DimensionName(dimension) + "\"";

    /// <summary>Whole seconds, rounded up, never negative.</summary>
    public static long Seconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(span.TotalSeconds);

    private static void Append(StringBuilder builder, string item)
    {
        if (builder.Length > 0) builder.Append(", ");
        builder.Append(item);
    }

    private static string Quota(BudgetDimension dimension, decimal amount)
    {
        var units = dimension == BudgetDimension.CostUsd ? amount * 1_000_000m : amount;
        return decimal.Floor(Math.Max(0, units)).ToString("0", CultureInfo.InvariantCulture);
    }

    private static string UnitParameter(BudgetDimension dimension) => dimension switch
    {
        BudgetDimension.Requests => "",
        BudgetDimension.CostUsd => ";qu=\"usd-micros\"",
        _ => ";qu=\"tokens\"",
    };

    private static string Natural(BudgetDimension dimension, decimal amount) => dimension == BudgetDimension.CostUsd
        ? decimal.Round(amount, 6).ToString("0.######", CultureInfo.InvariantCulture)
        : decimal.Floor(amount).ToString("0", CultureInfo.InvariantCulture);

    private static string WindowName(BudgetWindow window) => window switch
    {
        BudgetWindow.Minute => "minute",
        BudgetWindow.Hour => "hour",
        BudgetWindow.Day => "day",
        BudgetWindow.Month => "month",
        BudgetWindow.Conversation => "conversation",
        _ => "run",
    };

    private static string DimensionName(BudgetDimension dimension) => dimension switch
    {
        BudgetDimension.Requests => "requests",
        BudgetDimension.InputTokens => "input-tokens",
        BudgetDimension.OutputTokens => "output-tokens",
        BudgetDimension.TotalTokens => "tokens",
        _ => "cost",
    };
}

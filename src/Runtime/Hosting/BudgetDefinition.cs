using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace GuardedAI;

/// <summary>
/// A budget's definition as the audit trail keeps it: every field of a <see cref="BudgetPolicy"/> that decides what a
/// call may spend (mode, model, tier, limits, caps, thresholds, breaker, idle timeout, degradation, time zone, shadow
/// companion) as canonical JSON — fixed property order, limits keyed and sorted, numbers in invariant form — its
/// SHA-256, and a difference between two definitions a person can read. Only the policy goes in: no other part of the
/// configuration (connection strings, webhook URLs) can reach an audit entry through it.
/// </summary>
internal static class BudgetDefinition
{
    /// <summary>The canonical definition of <paramref name="policy"/> (its name aside: the audit entry keys it).</summary>
    public static JsonObject Canonical(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var thresholds = policy.Thresholds;
        return new JsonObject
        {
            ["mode"] = policy.Mode.ToString(),
            ["model"] = policy.Model,
            ["tier"] = policy.Tier.ToString(),
            ["limits"] = Limits(policy.Limits),
            ["maxInputTokens"] = policy.MaxInputTokens,
            ["maxOutputTokens"] = policy.MaxOutputTokens,
            ["maxRequestCostUsd"] = policy.MaxRequestCostUsd is { } cap ? Number(cap) : null,
            ["thresholds"] = new JsonObject
            {
                ["warn"] = Number(thresholds.WarnAtPercent),
                ["critical"] = Number(thresholds.CriticalAtPercent),
                ["trip"] = Number(thresholds.TripAtPercent),
                ["alertAt"] = new JsonArray(thresholds.AlertAtPercents.Order().Select(p => (JsonNode?)JsonValue.Create(Number(p))).ToArray()),
                ["soft"] = Limits(thresholds.SoftLimits),
            },
            ["breaker"] = new JsonObject
            {
                ["consecutiveFailuresToOpen"] = policy.Breaker.ConsecutiveFailuresToOpen,
                ["failureOpenDuration"] = Duration(policy.Breaker.FailureOpenDuration),
                ["openOnProviderRateLimit"] = policy.Breaker.OpenOnProviderRateLimit,
                ["tripOnThreshold"] = policy.Breaker.TripOnThreshold,
            },
            ["scopeIdleTimeout"] = Duration(policy.ScopeIdleTimeout),
            ["degradation"] = new JsonObject
            {
                ["throttleInterval"] = policy.Degradation.ThrottleInterval is { } interval ? Duration(interval) : null,
                ["throttleQueueLimit"] = policy.Degradation.ThrottleQueueLimit,
                ["downgradeModel"] = policy.Degradation.DowngradeModel,
            },
            ["timeZone"] = policy.TimeZone.Id,
            ["shadow"] = policy.ShadowCompanion is { } companion ? Canonical(companion) : null,
        };
    }

    /// <summary>The SHA-256 (lower-case hex) of a canonical definition.</summary>
    public static string Hash(JsonObject canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToJsonString())));

    /// <summary>One hash over every budget's key and definition hash: the definition of the whole set.</summary>
    public static string HashOfSet(IEnumerable<KeyValuePair<string, string>> hashes)
    {
        var text = new StringBuilder();
        foreach (var (key, hash) in hashes.OrderBy(h => h.Key, StringComparer.Ordinal)) text.Append(key).Append('=').Append(hash).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// What changed from <paramref name="before"/> to <paramref name="after"/>, one phrase per field, e.g.
    /// "daily cost limit 10 → 20 USD", "mode Shadow → Enforce". Empty when they are the same.
    /// </summary>
    public static List<string> Difference(JsonObject before, JsonObject after, string prefix = "")
    {
        var changes = new List<string>();
        foreach (var (field, value) in after)
        {
            var old = before[field];
            if (JsonNode.DeepEquals(old, value)) continue;
            switch (field)
            {
                case "limits":
                    LimitDifference(old as JsonObject, value as JsonObject, prefix, "limit", changes);
                    break;
                case "thresholds" or "breaker" or "degradation" when old is JsonObject oldGroup && value is JsonObject newGroup:
                    foreach (var (inner, innerValue) in newGroup)
                    {
                        if (JsonNode.DeepEquals(oldGroup[inner], innerValue)) continue;
                        if (field == "thresholds" && inner == "soft") LimitDifference(oldGroup[inner] as JsonObject, innerValue as JsonObject, prefix, "soft limit", changes);
                        else changes.Add($"{prefix}{field}.{inner} {Show(oldGroup[inner])} → {Show(innerValue)}");
                    }
                    break;
                case "shadow":
                    if (old is null) changes.Add($"{prefix}shadow budget added");
                    else if (value is null) changes.Add($"{prefix}shadow budget removed");
                    else changes.AddRange(Difference((JsonObject)old, (JsonObject)value, prefix + "shadow "));
                    break;
                default:
                    changes.Add($"{prefix}{field} {Show(old)} → {Show(value)}");
                    break;
            }
        }
        return changes;
    }

    private static void LimitDifference(JsonObject? before, JsonObject? after, string prefix, string noun, List<string> changes)
    {
        before ??= [];
        after ??= [];
        foreach (var (key, value) in after)
        {
            var amount = (string)value!;
            if (!before.TryGetPropertyValue(key, out var old)) changes.Add($"{prefix}{LimitName(key, noun)} {Amount(key, amount)} added");
            else if ((string)old! != amount) changes.Add($"{prefix}{LimitName(key, noun)} {(string)old!} → {Amount(key, amount)}");
        }
        foreach (var (key, old) in before)
        {
            if (!after.ContainsKey(key)) changes.Add($"{prefix}{LimitName(key, noun)} {Amount(key, (string)old!)} removed");
        }
    }

    /// <summary>"daily cost limit" for the key <c>Day.CostUsd</c>.</summary>
    private static string LimitName(string key, string noun)
    {
        var parts = key.Split('.');
        var window = Enum.TryParse<BudgetWindow>(parts[0], out var w) ? w.Describe() : parts[0];
        var dimension = parts.Length > 1 && Enum.TryParse<BudgetDimension>(parts[1], out var d) ? d.Describe() : key;
        return $"{window} {dimension} {noun}";
    }

    private static string Amount(string key, string amount) => key.EndsWith("." + nameof(BudgetDimension.CostUsd), StringComparison.Ordinal) ? amount + " USD" : amount;

    private static string Show(JsonNode? node) => node switch
    {
        null => "none",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    private static JsonObject Limits(IEnumerable<BudgetLimit> limits)
    {
        var result = new JsonObject();
        foreach (var limit in limits.OrderBy(l => l.Window).ThenBy(l => l.Dimension).ThenBy(l => l.Amount))
        {
            result[$"{limit.Window}.{limit.Dimension}"] = Number(limit.Amount);
        }
        return result;
    }

    private static string Number(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}

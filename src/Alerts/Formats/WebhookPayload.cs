using System.Text.Json.Nodes;

namespace GuardedAI.Alerts;

/// <summary>The JSON body of the generic signed webhook (documented field by field in <c>docs/alerts.md</c>).</summary>
internal static class WebhookPayload
{
    public static JsonObject Build(BudgetAlert alert)
    {
        var body = Fields(alert);
        body["type"] = "guardedai.alert";
        var items = new JsonArray();
        foreach (var item in alert.Items) items.Add(Fields(item));
        body["items"] = items;
        return body;
    }

    private static JsonObject Fields(BudgetAlert alert) => new()
    {
        ["id"] = alert.Id,
        ["level"] = alert.Level.ToString(),
        ["severity"] = alert.Severity.ToString(),
        ["scope"] = alert.Scope,
        ["dimension"] = alert.Dimension?.ToString(),
        ["window"] = alert.Window?.ToString(),
        ["used"] = alert.Used,
        ["limit"] = alert.Limit,
        ["percent"] = Math.Round(alert.Percent, 2),
        ["thresholdPercent"] = alert.ThresholdPercent,
        ["softLimit"] = alert.IsSoftLimit,
        ["windowEnd"] = alert.WindowEnd,
        ["projectedExhaustion"] = alert.ProjectedExhaustion,
        ["message"] = alert.Message,
        ["advice"] = alert.Advice,
        ["timestamp"] = alert.Timestamp,
    };
}

using System.Text.Json.Nodes;

namespace GuardedAI.Alerts;

/// <summary>
/// A Microsoft Teams incoming-webhook message (Workflows "post to a channel when a webhook request is received"): a
/// <c>message</c> with one attachment of content type <c>application/vnd.microsoft.card.adaptive</c> holding an
/// Adaptive Card 1.4 — a coloured title, the message, the facts as a FactSet and the advice.
/// </summary>
internal static class TeamsMessage
{
    public const string CardContentType = "application/vnd.microsoft.card.adaptive";

    public static JsonObject Build(BudgetAlert alert)
    {
        var facts = new JsonArray();
        foreach (var (name, value) in AlertText.Facts(alert)) facts.Add(new JsonObject { ["title"] = name, ["value"] = value });
        var body = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "TextBlock", ["text"] = AlertText.Title(alert), ["weight"] = "Bolder", ["size"] = "Medium",
                ["color"] = Color(alert.Severity), ["wrap"] = true,
            },
            TextBlock(alert.Level == AlertLevel.Digest ? AlertText.Title(alert) : alert.Message),
            new JsonObject { ["type"] = "FactSet", ["facts"] = facts },
        };
        foreach (var item in alert.Items) body.Add(TextBlock("• " + item.Message));
        if (alert.Advice is { } advice) body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = advice, ["wrap"] = true, ["isSubtle"] = true });
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject
                {
                    ["contentType"] = CardContentType,
                    ["contentUrl"] = null,
                    ["content"] = new JsonObject
                    {
                        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                        ["type"] = "AdaptiveCard",
                        ["version"] = "1.4",
                        ["body"] = body,
                        ["msteams"] = new JsonObject { ["width"] = "Full" },
                    },
                },
            },
        };
    }

    private static JsonObject TextBlock(string text) => new() { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };

    private static string Color(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => "Attention",
        AlertSeverity.Warning => "Warning",
        _ => "Good",
    };
}

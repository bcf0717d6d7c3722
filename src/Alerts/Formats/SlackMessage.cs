using System.Text.Json.Nodes;

namespace GuardedAI.Alerts;

/// <summary>
/// A Slack incoming-webhook message: <c>text</c> (the notification and fallback) and Block Kit <c>blocks</c> — a
/// header (plain text, at most 150 characters), the message as a mrkdwn section (at most 3,000), the facts as section
/// fields (at most 10, 2,000 each), and the advice as a context block; at most 50 blocks. Text in mrkdwn has
/// <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> escaped, so a budget name cannot inject a link or a mention.
/// </summary>
internal static class SlackMessage
{
    public const int MaxBlocks = 50;

    public static JsonObject Build(BudgetAlert alert)
    {
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = AlertText.Cut($"{Icon(alert.Severity)} {AlertText.Title(alert)}", 150), ["emoji"] = true },
            },
            Section(alert.Level == AlertLevel.Digest ? AlertText.Title(alert) : alert.Message),
        };
        var fields = new JsonArray();
        foreach (var (name, value) in AlertText.Facts(alert).Take(10))
        {
            fields.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = AlertText.Cut($"*{Escape(name)}*\n{Escape(value)}", 2000) });
        }
        blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = fields });
        var room = MaxBlocks - blocks.Count - 2;
        foreach (var item in alert.Items.Take(room)) blocks.Add(Section(item.Message));
        if (alert.Items.Count > room) blocks.Add(Section($"…and {alert.Items.Count - room} more."));
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray
            {
                new JsonObject { ["type"] = "mrkdwn", ["text"] = AlertText.Cut(Escape((alert.Advice is null ? "" : alert.Advice + " · ") + "alert " + alert.Id), 2000) },
            },
        });
        return new JsonObject
        {
            ["text"] = AlertText.Cut(Escape($"{AlertText.Title(alert)}: {alert.Message}"), 3000),
            ["blocks"] = blocks,
        };
    }

    private static JsonObject Section(string text) => new()
    {
        ["type"] = "section",
        ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = AlertText.Cut(Escape(text), 3000) },
    };

    /// <summary>Slack's three control characters in text.</summary>
    public static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Icon(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => ":red_circle:",
        AlertSeverity.Warning => ":warning:",
        _ => ":information_source:",
    };
}

using System.Text.Json.Nodes;

namespace GuardedAI.Alerts;

/// <summary>
/// A Discord webhook message: <c>content</c> (at most 2,000 characters) and one embed — title (256), description
/// (4,096), colour, fields (at most 25; name 256, value 1,024), footer (2,048) and an ISO 8601 timestamp, 6,000
/// characters in all — with <c>allowed_mentions</c> empty, so a budget name such as <c>@everyone</c> pings nobody.
/// </summary>
internal static class DiscordMessage
{
    public const int MaxEmbedCharacters = 6000;

    public static JsonObject Build(BudgetAlert alert)
    {
        var title = AlertText.Cut(AlertText.Title(alert), 256);
        var description = alert.Message;
        if (alert.Advice is { } advice) description += "\n\n" + advice;
        var fields = new JsonArray();
        var used = title.Length;
        foreach (var (name, value) in AlertText.Facts(alert).Take(25))
        {
            fields.Add(new JsonObject { ["name"] = AlertText.Cut(name, 256), ["value"] = AlertText.Cut(value, 1024), ["inline"] = true });
            used += Math.Min(name.Length, 256) + Math.Min(value.Length, 1024);
        }
        var footer = "GuardedAI · alert " + alert.Id;
        used += footer.Length;
        description = AlertText.Cut(description, Math.Min(4096, MaxEmbedCharacters - used));
        return new JsonObject
        {
            ["username"] = "GuardedAI",
            ["content"] = AlertText.Cut(AlertText.Title(alert), 2000),
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
            ["embeds"] = new JsonArray
            {
                new JsonObject
                {
                    ["title"] = title,
                    ["description"] = description,
                    ["color"] = Color(alert.Severity),
                    ["fields"] = fields,
                    ["footer"] = new JsonObject { ["text"] = footer },
                    ["timestamp"] = alert.Timestamp.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                },
            },
        };
    }

    private static int Color(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => 0xD93025,
        AlertSeverity.Warning => 0xF9AB00,
        _ => 0x1E8E3E,
    };
}

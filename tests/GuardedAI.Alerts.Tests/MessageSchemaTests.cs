using System.Globalization;
using System.Text.Json;

namespace GuardedAI.Alerts.Tests;

/// <summary>
/// Each chat format is delivered over real HTTP to a loopback receiver, and the body the receiver got is checked
/// against the constraints the service documents for incoming webhooks.
/// </summary>
public class MessageSchemaTests
{
    private const string HostileName = "ops<@everyone> & <https://evil.example|click>";

    [Fact]
    public async Task Slack_gets_text_and_block_kit_blocks_within_the_documented_limits()
    {
        await using var receiver = new LoopbackReceiver();
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var sink = new SlackAlertSink("team-chat", client, new Uri(receiver.BaseAddress, "services/T000/B000/XXXX"));

        await sink.SendAsync(TestAlerts.Critical(HostileName), CancellationToken.None);
        await sink.SendAsync(TestAlerts.Digest(80), CancellationToken.None);

        Assert.Equal(2, receiver.Requests.Count);
        foreach (var request in receiver.Requests)
        {
            Assert.Equal("POST", request.Method);
            Assert.StartsWith("application/json", request.Headers["Content-Type"]);
            using var json = JsonDocument.Parse(request.Body);
            SlackSchema.Check(json.RootElement);
        }
        var critical = JsonDocument.Parse(receiver.Requests[0].Body).RootElement;
        var all = receiver.Requests[0].Body;
        Assert.DoesNotContain("<@everyone>", all); // escaped: no mention, no injected link
        Assert.DoesNotContain("<https://evil.example|click>", all);
        Assert.Contains("&lt;@everyone&gt;", critical.GetProperty("text").GetString());
        var fields = critical.GetProperty("blocks").EnumerateArray().First(b => b.TryGetProperty("fields", out _)).GetProperty("fields");
        Assert.Contains(fields.EnumerateArray(), f => f.GetProperty("text").GetString()!.Contains("$4.6000 of $5.0000 (92%)"));
        Assert.Contains(fields.EnumerateArray(), f => f.GetProperty("text").GetString()!.Contains("Projected exhaustion"));
        var digestBlocks = JsonDocument.Parse(receiver.Requests[1].Body).RootElement.GetProperty("blocks").GetArrayLength();
        Assert.Equal(SlackMessage.MaxBlocks, digestBlocks); // 80 items cut to the 50-block limit, with a "more" line
        Assert.Contains("more.", receiver.Requests[1].Body);
    }

    [Fact]
    public async Task Teams_gets_a_message_with_one_adaptive_card_attachment()
    {
        await using var receiver = new LoopbackReceiver(new Answer(202));
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var sink = new TeamsAlertSink("teams", client, new Uri(receiver.BaseAddress, "workflows/abc/triggers/manual/paths/invoke?sig=SECRET"));

        await sink.SendAsync(TestAlerts.Critical(), CancellationToken.None);

        using var json = JsonDocument.Parse(Assert.Single(receiver.Requests).Body);
        TeamsSchema.Check(json.RootElement);
        var card = json.RootElement.GetProperty("attachments")[0].GetProperty("content");
        Assert.Equal("Attention", card.GetProperty("body")[0].GetProperty("color").GetString());
        var facts = card.GetProperty("body").EnumerateArray().First(e => e.GetProperty("type").GetString() == "FactSet").GetProperty("facts");
        Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("title").GetString() == "Window resets" && f.GetProperty("value").GetString() == "2026-03-16 00:00:00 UTC");
    }

    [Fact]
    public async Task Discord_gets_content_and_an_embed_within_the_documented_limits_and_pings_nobody()
    {
        await using var receiver = new LoopbackReceiver(new Answer(204));
        var (services, client) = TestAlerts.Http();
        await using var scope = services;
        var sink = new DiscordAlertSink("discord", client, new Uri(receiver.BaseAddress, "api/webhooks/123/TOKEN"));

        await sink.SendAsync(TestAlerts.Critical("@everyone"), CancellationToken.None);
        await sink.SendAsync(TestAlerts.Digest(500), CancellationToken.None);

        foreach (var request in receiver.Requests)
        {
            using var json = JsonDocument.Parse(request.Body);
            DiscordSchema.Check(json.RootElement);
            Assert.Equal(0, json.RootElement.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());
        }
        var embed = JsonDocument.Parse(receiver.Requests[0].Body).RootElement.GetProperty("embeds")[0];
        Assert.Equal(0xD93025, embed.GetProperty("color").GetInt32());
        Assert.Equal(TestAlerts.Now, DateTimeOffset.Parse(embed.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture));
    }

    /// <summary>Slack Block Kit, as documented for messages: text, at most 50 blocks, header/section/context rules.</summary>
    private static class SlackSchema
    {
        public static void Check(JsonElement root)
        {
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("text").GetString()));
            Assert.True(root.GetProperty("text").GetString()!.Length <= 40000);
            var blocks = root.GetProperty("blocks");
            Assert.InRange(blocks.GetArrayLength(), 1, 50);
            foreach (var block in blocks.EnumerateArray())
            {
                switch (block.GetProperty("type").GetString())
                {
                    case "header":
                        Assert.Equal("plain_text", block.GetProperty("text").GetProperty("type").GetString());
                        Assert.InRange(block.GetProperty("text").GetProperty("text").GetString()!.Length, 1, 150);
                        break;
                    case "section":
                        var hasText = block.TryGetProperty("text", out var text);
                        var hasFields = block.TryGetProperty("fields", out var fields);
                        Assert.True(hasText || hasFields, "a section needs text or fields");
                        if (hasText) TextObject(text, 3000);
                        if (hasFields)
                        {
                            Assert.InRange(fields.GetArrayLength(), 1, 10);
                            foreach (var field in fields.EnumerateArray()) TextObject(field, 2000);
                        }
                        break;
                    case "context":
                        var elements = block.GetProperty("elements");
                        Assert.InRange(elements.GetArrayLength(), 1, 10);
                        foreach (var element in elements.EnumerateArray()) TextObject(element, 3000);
                        break;
                    default:
                        Assert.Fail($"unexpected block type {block.GetProperty("type")}");
                        break;
                }
            }
        }

        private static void TextObject(JsonElement text, int max)
        {
            Assert.Contains(text.GetProperty("type").GetString(), new[] { "mrkdwn", "plain_text" });
            Assert.InRange(text.GetProperty("text").GetString()!.Length, 1, max);
        }
    }

    /// <summary>Teams incoming webhooks (Workflows): a message whose attachments hold Adaptive Cards.</summary>
    private static class TeamsSchema
    {
        private static readonly string[] Colors = ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"];

        public static void Check(JsonElement root)
        {
            Assert.Equal("message", root.GetProperty("type").GetString());
            var attachment = Assert.Single(root.GetProperty("attachments").EnumerateArray());
            Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
            Assert.Equal(JsonValueKind.Null, attachment.GetProperty("contentUrl").ValueKind);
            var card = attachment.GetProperty("content");
            Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
            Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", card.GetProperty("$schema").GetString());
            Assert.Matches(@"^1\.[0-5]$", card.GetProperty("version").GetString());
            foreach (var element in card.GetProperty("body").EnumerateArray())
            {
                switch (element.GetProperty("type").GetString())
                {
                    case "TextBlock":
                        Assert.False(string.IsNullOrEmpty(element.GetProperty("text").GetString()));
                        if (element.TryGetProperty("color", out var color)) Assert.Contains(color.GetString(), Colors);
                        if (element.TryGetProperty("wrap", out var wrap)) Assert.True(wrap.ValueKind is JsonValueKind.True or JsonValueKind.False);
                        break;
                    case "FactSet":
                        foreach (var fact in element.GetProperty("facts").EnumerateArray())
                        {
                            Assert.Equal(JsonValueKind.String, fact.GetProperty("title").ValueKind);
                            Assert.Equal(JsonValueKind.String, fact.GetProperty("value").ValueKind);
                        }
                        break;
                    default:
                        Assert.Fail($"unexpected element {element.GetProperty("type")}");
                        break;
                }
            }
        }
    }

    /// <summary>Discord's execute-webhook limits: content 2,000; embeds 10; title 256; description 4,096; fields 25 (256/1,024); footer 2,048; 6,000 in all.</summary>
    private static class DiscordSchema
    {
        public static void Check(JsonElement root)
        {
            Assert.InRange(root.GetProperty("content").GetString()!.Length, 1, 2000);
            var embeds = root.GetProperty("embeds");
            Assert.InRange(embeds.GetArrayLength(), 1, 10);
            foreach (var embed in embeds.EnumerateArray())
            {
                var total = 0;
                total += Length(embed, "title", 256);
                total += Length(embed, "description", 4096);
                Assert.InRange(embed.GetProperty("color").GetInt32(), 0, 0xFFFFFF);
                var fields = embed.GetProperty("fields");
                Assert.InRange(fields.GetArrayLength(), 0, 25);
                foreach (var field in fields.EnumerateArray())
                {
                    total += Length(field, "name", 256);
                    total += Length(field, "value", 1024);
                }
                total += Length(embed.GetProperty("footer"), "text", 2048);
                Assert.True(DateTimeOffset.TryParse(embed.GetProperty("timestamp").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
                Assert.True(total <= 6000, $"an embed has {total} characters, more than 6,000");
            }
        }

        private static int Length(JsonElement element, string name, int max)
        {
            var text = element.GetProperty(name).GetString()!;
            Assert.InRange(text.Length, 1, max);
            return text.Length;
        }
    }
}

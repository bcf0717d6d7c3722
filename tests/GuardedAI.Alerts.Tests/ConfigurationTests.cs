using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Alerts.Tests;

/// <summary>Every channel and alert setting from the GuardedAI section, end to end; bad settings named by their path, secrets never shown.</summary>
public class ConfigurationTests
{
    private static IConfiguration Json(string json) => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static async Task<BudgetEngine> StartAsync(IConfiguration configuration, bool channels = true)
    {
        var services = new ServiceCollection();
        var builder = services.AddLogging().AddGuardedAI(configuration);
        if (channels) builder.AddAlertChannels();
        return await services.BuildServiceProvider().GetGuardedAIEngineAsync();
    }

    [Fact]
    public async Task A_configured_budget_alerts_its_slack_channel_through_the_route_with_its_levels_and_soft_limits()
    {
        await using var chat = new LoopbackReceiver();
        await using var hook = new LoopbackReceiver();
        var configuration = Json($$"""
        {
          "GuardedAI": {
            "Budgets": {
              "support-bot": { "DailyRequests": 10, "AlertAtPercents": [ 50 ], "SoftLimits": { "DailyRequests": 8 } }
            },
            "Alerts": {
              "Log": false,
              "RepeatIntervalMinutes": 30,
              "ProjectExceedance": false,
              "Routes": { "Warning": [ "team-chat" ], "Critical": [ "team-chat", "ops-hook" ] },
              "Anomaly": { "Factor": 4, "MinimumSpendUsd": 2 },
              "Slack": { "team-chat": { "WebhookUrl": "{{chat.BaseAddress}}services/T/B/SECRET" } },
              "Webhooks": { "ops-hook": { "Url": "{{hook.BaseAddress}}hook", "Secret": "0123456789abcdef0123" } },
              "AllowedNetworks": [ "127.0.0.1/32" ],
              "Http": { "MaxRetries": 1, "RetryBaseDelayMs": 10 }
            },
            "HostPressure": { "Enabled": true, "MemoryPercent": 99.5, "Action": "Deny", "SampleIntervalSeconds": 30 }
          }
        }
        """);
        await using var engine = await StartAsync(configuration);
        var policy = engine.GetPolicy("support-bot")!;

        Assert.Equal([50.0, 70.0, 90.0, 95.0], policy.Thresholds.Levels.Select(l => l.Percent));
        Assert.Equal(8m, Assert.Single(policy.Thresholds.SoftLimits).Amount);
        Assert.Equal(["team-chat", "ops-hook"], engine.Parts.Alerts.Sinks.Select(s => s.Name));
        Assert.NotNull(engine.Parts.HostPressure);

        for (var i = 0; i < 9; i++) await (await engine.TryReserveAsync(policy, engine.Estimate("gpt-4o-mini", 1, 1))).CommitAsync(new TokenUsage(1, 1));
        await engine.FlushAlertsAsync();

        // 50%, 70% (warnings) and the soft limit at 8 go to chat only; 90% (critical) to chat and the webhook.
        Assert.Equal(4, chat.Count);
        var critical = Assert.Single(hook.Requests);
        Assert.Equal("Critical", JsonDocument.Parse(critical.Body).RootElement.GetProperty("level").GetString());
        Assert.Contains(chat.Requests, r => r.Body.Contains("soft limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Channels_configured_without_the_package_fail_the_start_naming_the_method()
    {
        var configuration = Json("""{ "GuardedAI": { "Alerts": { "Slack": { "x": { "WebhookUrl": "https://hooks.slack.com/services/T/B/SECRET" } } } } }""");

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => StartAsync(configuration, channels: false));

        Assert.Contains("GuardedAI:Alerts:Slack", error.Message);
        Assert.Contains(".AddAlertChannels()", error.Message);
        Assert.DoesNotContain("SECRET", error.Message);
    }

    [Theory]
    [InlineData("""{ "Slak": {} }""", "GuardedAI:Alerts:Slak is not an alert setting")]
    [InlineData("""{ "Slack": { "x": { "Url": "https://hooks.slack.com/services/T/B/SECRET" } } }""", "GuardedAI:Alerts:Slack:x:Url is not a setting of a Slack channel")]
    [InlineData("""{ "Slack": { "x": { "WebhookUrl": "ftp://hooks.example.com/SECRET" } } }""", "GuardedAI:Alerts:Slack:x:WebhookUrl must be an absolute http(s) URL")]
    [InlineData("""{ "Discord": { "x": { "WebhookUrl": "http://169.254.169.254/SECRET" } } }""", "GuardedAI:Alerts:Discord:x:WebhookUrl points to 169.254.169.254 (cloud metadata)")]
    [InlineData("""{ "Webhooks": { "x": { "Url": "https://hooks.example.com/SECRET", "Secret": "tooshort" } } }""", "GuardedAI:Alerts:Webhooks:x:Secret is required and needs at least 16 characters")]
    [InlineData("""{ "AllowedNetworks": [ "10.0.0.0/99" ] }""", "GuardedAI:Alerts:AllowedNetworks:0 '10.0.0.0/99'")]
    [InlineData("""{ "Email": { "m": { "Host": "smtp.example.com", "From": "nobody", "To": [ "ops@example.com" ] } } }""", "GuardedAI:Alerts:Email:m:From 'nobody' is not an e-mail address")]
    [InlineData("""{ "Routes": { "Critical": [ "pager" ] } }""", "'pager'")]
    [InlineData("""{ "Routes": { "Urgent": [ "log" ] } }""", "GuardedAI:Alerts:Routes:Urgent: 'Urgent' is not an alert level")]
    [InlineData("""{ "Digest": { "IntervalMinutes": 0 } }""", "GuardedAI:Alerts:Digest:IntervalMinutes must be positive")]
    public async Task A_bad_alert_setting_fails_the_start_naming_it_and_never_showing_a_secret(string alerts, string expected)
    {
        var configuration = Json($$"""{ "GuardedAI": { "Alerts": {{alerts}} } }""");

        var error = await Record.ExceptionAsync(() => StartAsync(configuration));

        Assert.NotNull(error);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("SECRET", error.ToString());
    }
}

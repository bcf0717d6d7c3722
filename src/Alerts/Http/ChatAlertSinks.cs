using System.Text.Json.Nodes;

namespace GuardedAI.Alerts;

/// <summary>
/// A chat service's incoming webhook: posts each alert in the service's own message format through
/// <see cref="WebhookPost"/> (retries, no secret in errors). Slack, Teams and Discord differ only in that format.
/// </summary>
public abstract class ChatWebhookAlertSink : IBudgetAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates the sink. Give it a client from <see cref="AlertTargetGuard.CreateHandler"/> (what <c>AddAlertChannels</c> does).</summary>
    private protected ChatWebhookAlertSink(string name, HttpClient http, Uri webhookUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = webhookUrl ?? throw new ArgumentNullException(nameof(webhookUrl));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The service's name, for messages: "Slack".</summary>
    private protected abstract string Service { get; }

    /// <summary>The alert in the service's message format.</summary>
    private protected abstract JsonNode Format(BudgetAlert alert);

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) =>
        new(WebhookPost.SendAsync(_http, _url, $"{Service} channel '{Name}'", Format(alert).ToJsonString(), null, cancellationToken));

    /// <inheritdoc/>
    public override string ToString() => $"{Service} '{Name}' ({WebhookPost.Redacted(_url)})";
}

/// <summary>Posts alerts to a Slack incoming webhook as Block Kit messages.</summary>
public sealed class SlackAlertSink(string name, HttpClient http, Uri webhookUrl) : ChatWebhookAlertSink(name, http, webhookUrl)
{
    private protected override string Service => "Slack";

    private protected override JsonNode Format(BudgetAlert alert) => SlackMessage.Build(alert);
}

/// <summary>Posts alerts to a Microsoft Teams incoming webhook (Workflows) as Adaptive Cards.</summary>
public sealed class TeamsAlertSink(string name, HttpClient http, Uri webhookUrl) : ChatWebhookAlertSink(name, http, webhookUrl)
{
    private protected override string Service => "Teams";

    private protected override JsonNode Format(BudgetAlert alert) => TeamsMessage.Build(alert);
}

/// <summary>Posts alerts to a Discord webhook as embeds, with mentions disabled.</summary>
public sealed class DiscordAlertSink(string name, HttpClient http, Uri webhookUrl) : ChatWebhookAlertSink(name, http, webhookUrl)
{
    private protected override string Service => "Discord";

    private protected override JsonNode Format(BudgetAlert alert) => DiscordMessage.Build(alert);
}

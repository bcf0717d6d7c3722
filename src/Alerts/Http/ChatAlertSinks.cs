namespace GuardedAI.Alerts;

/// <summary>Posts alerts to a Slack incoming webhook as Block Kit messages.</summary>
public sealed class SlackAlertSink : IBudgetAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates the sink. Give it a client from <see cref="AlertTargetGuard.CreateHandler"/> (what <c>AddAlertChannels</c> does).</summary>
    public SlackAlertSink(string name, HttpClient http, Uri webhookUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = webhookUrl ?? throw new ArgumentNullException(nameof(webhookUrl));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) =>
        new(WebhookPost.SendAsync(_http, _url, $"Slack channel '{Name}'", SlackMessage.Build(alert).ToJsonString(), null, cancellationToken));

    /// <inheritdoc/>
    public override string ToString() => $"Slack '{Name}' ({WebhookPost.Redacted(_url)})";
}

/// <summary>Posts alerts to a Microsoft Teams incoming webhook (Workflows) as Adaptive Cards.</summary>
public sealed class TeamsAlertSink : IBudgetAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates the sink. Give it a client from <see cref="AlertTargetGuard.CreateHandler"/> (what <c>AddAlertChannels</c> does).</summary>
    public TeamsAlertSink(string name, HttpClient http, Uri webhookUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = webhookUrl ?? throw new ArgumentNullException(nameof(webhookUrl));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) =>
        new(WebhookPost.SendAsync(_http, _url, $"Teams channel '{Name}'", TeamsMessage.Build(alert).ToJsonString(), null, cancellationToken));

    /// <inheritdoc/>
    public override string ToString() => $"Teams '{Name}' ({WebhookPost.Redacted(_url)})";
}

/// <summary>Posts alerts to a Discord webhook as embeds, with mentions disabled.</summary>
public sealed class DiscordAlertSink : IBudgetAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates the sink. Give it a client from <see cref="AlertTargetGuard.CreateHandler"/> (what <c>AddAlertChannels</c> does).</summary>
    public DiscordAlertSink(string name, HttpClient http, Uri webhookUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = webhookUrl ?? throw new ArgumentNullException(nameof(webhookUrl));
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) =>
        new(WebhookPost.SendAsync(_http, _url, $"Discord channel '{Name}'", DiscordMessage.Build(alert).ToJsonString(), null, cancellationToken));

    /// <inheritdoc/>
    public override string ToString() => $"Discord '{Name}' ({WebhookPost.Redacted(_url)})";
}

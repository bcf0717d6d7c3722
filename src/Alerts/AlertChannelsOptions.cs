namespace GuardedAI.Alerts;

/// <summary>
/// The alert channels, read from <c>GuardedAI:Alerts</c> by <c>.AddAlertChannels()</c> (then changed in code by its
/// <c>configure</c> action). Each channel has a name, which routes refer to (<c>GuardedAI:Alerts:Routes</c>).
/// </summary>
public sealed class AlertChannelsOptions
{
    /// <summary>Slack incoming webhooks by channel name.</summary>
    public Dictionary<string, ChatChannelOptions> Slack { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Microsoft Teams incoming webhooks (Workflows) by channel name.</summary>
    public Dictionary<string, ChatChannelOptions> Teams { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Discord webhooks by channel name.</summary>
    public Dictionary<string, ChatChannelOptions> Discord { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Signed JSON webhooks by channel name.</summary>
    public Dictionary<string, WebhookChannelOptions> Webhooks { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>E-mail channels by name.</summary>
    public Dictionary<string, SmtpChannelOptions> Email { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Retries and timeouts of HTTP deliveries.</summary>
    public AlertHttpOptions Http { get; set; } = new();

    /// <summary>Networks alerts may reach although they are not public (e.g. <c>10.0.0.0/8</c>, <c>127.0.0.1/32</c>):
    /// on-premises receivers and tests. Everything else private, loopback, link-local or metadata is refused.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
}

/// <summary>A chat channel: its incoming-webhook URL (a secret: never logged).</summary>
public sealed class ChatChannelOptions
{
    /// <summary>The incoming-webhook URL.</summary>
    public string? WebhookUrl { get; set; }
}

/// <summary>A signed JSON webhook.</summary>
public sealed class WebhookChannelOptions
{
    /// <summary>Where to POST (may carry a token: never logged).</summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 signing secret, at least 16 characters (never logged).</summary>
    public string? Secret { get; set; }
}

/// <summary>Retries and timeouts of HTTP alert deliveries (<c>GuardedAI:Alerts:Http</c>).</summary>
public sealed class AlertHttpOptions
{
    /// <summary>Retries after the first attempt, on 5xx, 408, 429, timeouts and connection failures (default 4).</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry's delay in milliseconds; it doubles each retry, with jitter (default 1000). A
    /// <c>Retry-After</c> header is honoured.</summary>
    public int RetryBaseDelayMs { get; set; } = 1000;

    /// <summary>Seconds one attempt may take (default 10).</summary>
    public double AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>Seconds all attempts of one delivery may take together (default 60).</summary>
    public double TotalTimeoutSeconds { get; set; } = 60;

    internal void Validate()
    {
        if (MaxRetries is < 0 or > 10) throw new InvalidOperationException($"GuardedAI:Alerts:Http:MaxRetries must be 0-10, but is {MaxRetries}.");
        if (RetryBaseDelayMs < 1) throw new InvalidOperationException($"GuardedAI:Alerts:Http:RetryBaseDelayMs must be positive, but is {RetryBaseDelayMs}.");
        if (AttemptTimeoutSeconds <= 0) throw new InvalidOperationException($"GuardedAI:Alerts:Http:AttemptTimeoutSeconds must be positive, but is {AttemptTimeoutSeconds}.");
        if (TotalTimeoutSeconds < AttemptTimeoutSeconds) throw new InvalidOperationException($"GuardedAI:Alerts:Http:TotalTimeoutSeconds ({TotalTimeoutSeconds}) must be at least AttemptTimeoutSeconds ({AttemptTimeoutSeconds}).");
    }
}

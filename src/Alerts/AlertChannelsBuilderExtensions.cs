using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace GuardedAI.Alerts;

/// <summary>Adds the alert channels to <c>services.AddGuardedAI(...)</c>.</summary>
public static class AlertChannelsBuilderExtensions
{
    /// <summary>The section under <c>GuardedAI</c> these settings are read from (the channel keys of it).</summary>
    public const string SectionName = "Alerts";

    /// <summary>The name of the <see cref="IHttpClientFactory"/> client HTTP channels post through.</summary>
    public const string HttpClientName = "GuardedAI.Alerts";

    private static readonly string[] ChannelKeys =
    [
        nameof(AlertChannelsOptions.Slack), nameof(AlertChannelsOptions.Teams), nameof(AlertChannelsOptions.Discord),
        nameof(AlertChannelsOptions.Webhooks), nameof(AlertChannelsOptions.Email), nameof(AlertChannelsOptions.Http), nameof(AlertChannelsOptions.AllowedNetworks),
    ];

    /// <summary>
    /// Sends alerts to the Slack, Teams, Discord, signed-webhook and e-mail channels configured under
    /// <c>GuardedAI:Alerts</c> (then <paramref name="configure"/>). HTTP channels post through an
    /// <see cref="IHttpClientFactory"/> client with retries (exponential backoff with jitter on 5xx, 429, timeouts), an
    /// attempt and a total timeout, no logging of URLs, and connections checked against SSRF. Delivery is always off
    /// the call path. A bad setting fails when the host starts, named by its path; secrets are never in the message.
    /// </summary>
    public static IGuardedAIBuilder AddAlertChannels(this IGuardedAIBuilder builder, Action<AlertChannelsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AlertChannelsOptions();
        if (builder.Configuration?.GetSection(SectionName) is { } section && section.Exists()) Bind(section, options);
        configure?.Invoke(options);
        options.Http.Validate();
        var guard = new AlertTargetGuard(AlertTargetGuard.ParseNetworks(options.AllowedNetworks));

        var http = options.Http;
        builder.Services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(guard.CreateHandler)
            // The default handlers log request URIs, which hold webhook tokens.
            .RemoveAllLoggers()
            .AddResilienceHandler("guardedai-alerts", pipeline =>
            {
                pipeline.AddTimeout(TimeSpan.FromSeconds(http.TotalTimeoutSeconds));
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(1, http.MaxRetries),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(http.RetryBaseDelayMs),
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(http.MaxRetries > 0 && ShouldRetry(args.Outcome)),
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(http.AttemptTimeoutSeconds));
            });
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new AlertChannelsSetup(options, guard));
        builder.AddConfigurationSection(SectionName, schema: null); // the channel keys are checked by CheckKeys above
        return builder;
    }

    /// <summary>Retries what a later attempt can fix; never a refused target or a client error other than 408/429.</summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome)
    {
        for (var ex = outcome.Exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is AlertTargetRefusedException) return false;
        }
        return HttpClientResiliencePredicates.IsTransient(outcome);
    }

    private static void Bind(IConfigurationSection section, AlertChannelsOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            if (!ChannelKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase) && !AlertOptions.CoreKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{child.Path} is not an alert setting. Channels: {string.Join(", ", ChannelKeys)}; settings: {string.Join(", ", AlertOptions.CoreKeys)}.");
            }
        }
        foreach (var key in ChannelKeys)
        {
            var child = section.GetSection(key);
            if (!child.Exists()) continue;
            var property = typeof(AlertChannelsOptions).GetProperty(key)!;
            CheckKeys(child, property.PropertyType);
            child.Bind(property.GetValue(options)!, binder => binder.ErrorOnUnknownConfiguration = true);
        }
    }

    /// <summary>Names an unknown key by its path (the binder's own message names a type, not where the key is).</summary>
    private static void CheckKeys(IConfigurationSection section, Type type)
    {
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Dictionary<,>)) return; // Http is checked by the binder; lists have no keys
        var channelType = type.GetGenericArguments()[1];
        var settings = channelType.GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToArray();
        foreach (var channel in section.GetChildren())
        {
            foreach (var key in channel.GetChildren())
            {
                if (!settings.Contains(key.Key, StringComparer.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"{key.Path} is not a setting of a {section.Key} channel. Settings: {string.Join(", ", settings)}.");
            }
        }
    }

    private sealed class AlertChannelsSetup(AlertChannelsOptions options, AlertTargetGuard guard) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "log" };
            var factory = services.GetRequiredService<IHttpClientFactory>();
            foreach (var sink in AlertChannels.Create(options, guard, () => factory.CreateClient(HttpClientName), target.TimeProvider))
            {
                if (!names.Add(sink.Name)) throw new InvalidOperationException($"GuardedAI:Alerts: two channels are named '{sink.Name}'; channel names must be unique (routes refer to them).");
                target.AlertSinks.Add(sink);
            }
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Builds the sinks of <see cref="AlertChannelsOptions"/>.</summary>
public static class AlertChannels
{
    /// <summary>One sink per configured channel, each validated (a bad value is named by its configuration path, never shown).</summary>
    public static IReadOnlyList<IBudgetAlertSink> Create(AlertChannelsOptions options, AlertTargetGuard guard, Func<HttpClient> httpClient, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(httpClient);
        var sinks = new List<IBudgetAlertSink>();
        foreach (var (name, channel) in options.Slack)
            sinks.Add(new SlackAlertSink(name, httpClient(), WebhookPost.Validate(channel.WebhookUrl, $"GuardedAI:Alerts:Slack:{name}:WebhookUrl", guard)));
        foreach (var (name, channel) in options.Teams)
            sinks.Add(new TeamsAlertSink(name, httpClient(), WebhookPost.Validate(channel.WebhookUrl, $"GuardedAI:Alerts:Teams:{name}:WebhookUrl", guard)));
        foreach (var (name, channel) in options.Discord)
            sinks.Add(new DiscordAlertSink(name, httpClient(), WebhookPost.Validate(channel.WebhookUrl, $"GuardedAI:Alerts:Discord:{name}:WebhookUrl", guard)));
        foreach (var (name, channel) in options.Webhooks)
        {
            var url = WebhookPost.Validate(channel.Url, $"GuardedAI:Alerts:Webhooks:{name}:Url", guard);
            if (string.IsNullOrEmpty(channel.Secret) || channel.Secret.Length < 16)
                throw new InvalidOperationException($"GuardedAI:Alerts:Webhooks:{name}:Secret is required and needs at least 16 characters (the HMAC-SHA256 signing key).");
            sinks.Add(new SignedWebhookAlertSink(name, httpClient(), url, channel.Secret, timeProvider));
        }
        foreach (var (name, channel) in options.Email) sinks.Add(new SmtpAlertSink(name, channel, guard, timeProvider));
        return sinks;
    }
}

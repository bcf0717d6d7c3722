using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Redis;

/// <summary>Adds the Redis store to <c>services.AddGuardedAI(...)</c>.</summary>
public static class RedisGuardedAIBuilderExtensions
{
    /// <summary>The section under <c>GuardedAI</c> these settings are read from.</summary>
    public const string SectionName = "Redis";

    /// <summary>
    /// Keeps the engine's counters, breaker state and alert de-duplication in Redis, shared by every instance (settings
    /// from <c>GuardedAI:Redis</c>, then <paramref name="configure"/>). When the host starts it connects and checks that
    /// the server runs Lua scripts; a Redis that refuses them fails the start. The ledger is separate: combine with
    /// <c>.AddSqliteLedger()</c> or a shared ledger.
    /// </summary>
    public static IGuardedAIBuilder AddRedisCounters(this IGuardedAIBuilder builder, Action<RedisStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Checked strictly with the rest of the GuardedAI section when the host starts, then read.
        builder.AddConfigurationSection(SectionName, Schema);
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new RedisSetup(builder.Configuration?.GetSection(SectionName), configure));
        return builder;
    }

    /// <summary>What <c>GuardedAI:Redis</c> may hold.</summary>
    internal static ConfigurationSchema Schema => new ConfigurationSchema("the Redis section")
        .Value("Configuration", ConfigurationValue.Text.Secret)
        .Value("KeyPrefix", ConfigurationValue.Text)
        .Value("ConnectTimeoutMs", ConfigurationValue.Integer(1, 600_000))
        .Value("OperationTimeoutMs", ConfigurationValue.Integer(1, 600_000));

    private sealed class RedisSetup(IConfigurationSection? section, Action<RedisStoreOptions>? configure) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public async ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var options = new RedisStoreOptions();
            if (section is not null && section.Exists()) (section.Get<RedisSection>() ?? new RedisSection()).ApplyTo(options);
            configure?.Invoke(options);
            if (string.IsNullOrWhiteSpace(options.Configuration))
            {
                throw new GuardedAIConfigurationException([new ConfigurationError("GuardedAI:Redis:Configuration",
                    "is not set; AddRedisCounters needs a Redis connection (a StackExchange.Redis connection string such as 'localhost:6379'), here or in RedisStoreOptions.Configuration.")]);
            }
            var redis = await GuardedAIRedis.ConnectAsync(options, target.LoggerFactory?.CreateLogger("GuardedAI.Redis"), cancellationToken).ConfigureAwait(false);
            redis.ApplyTo(target);
            target.OwnedResources.Add(redis);
            try
            {
                // Measure the skew before the restore computes today's windows; an unreachable Redis is measured later.
                await redis.SynchronizeClockAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisStoreException ex) when (ex is not RedisScriptingUnavailableException)
            {
            }
        }
    }
}

/// <summary>The <c>GuardedAI:Redis</c> section as configuration spells it.</summary>
internal sealed class RedisSection
{
    public string? Configuration { get; set; }
    public string? KeyPrefix { get; set; }
    public int? ConnectTimeoutMs { get; set; }
    public int? OperationTimeoutMs { get; set; }

    public void ApplyTo(RedisStoreOptions options)
    {
        if (!string.IsNullOrWhiteSpace(Configuration)) options.Configuration = Configuration;
        if (!string.IsNullOrWhiteSpace(KeyPrefix)) options.KeyPrefix = KeyPrefix;
        if (ConnectTimeoutMs is { } connect) options.ConnectTimeout = TimeSpan.FromMilliseconds(connect);
        if (OperationTimeoutMs is { } operation) options.OperationTimeout = TimeSpan.FromMilliseconds(operation);
    }
}

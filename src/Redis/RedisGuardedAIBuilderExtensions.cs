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
        var options = new RedisStoreOptions();
        if (builder.Configuration?.GetSection(SectionName) is { } section && section.Exists())
        {
            var settings = new RedisSection();
            section.Bind(settings, binder => binder.ErrorOnUnknownConfiguration = true);
            settings.ApplyTo(options);
        }
        configure?.Invoke(options);
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new InvalidOperationException("AddRedisCounters needs a Redis connection: set GuardedAI:Redis:Configuration (a StackExchange.Redis connection string such as 'localhost:6379') or RedisStoreOptions.Configuration.");
        }
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new RedisSetup(options));
        return builder;
    }

    private sealed class RedisSetup(RedisStoreOptions options) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public async ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var redis = await GuardedAIRedis.ConnectAsync(options, target.LoggerFactory?.CreateLogger("GuardedAI.Redis"), cancellationToken).ConfigureAwait(false);
            redis.ApplyTo(target);
            target.OwnedResources.Add(redis);
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

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Redis;

/// <summary>Registers the Redis store with <c>AddGuardedAI</c>.</summary>
public static class GuardedAIRedisServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>GuardedAI:Store = redis</c> available: the engine's counters, breaker state and alert de-duplication
    /// live in Redis (connection from <c>GuardedAI:Redis:Configuration</c>), its ledger in SQLite.
    /// <paramref name="configure"/> can adjust the options after configuration is read.
    /// </summary>
    public static IServiceCollection AddGuardedAIRedis(this IServiceCollection services, Action<RedisStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IGuardedAIStoreProvider>(new RedisStoreProvider(configure));
        return services;
    }

    private sealed class RedisStoreProvider(Action<RedisStoreOptions>? configure) : IGuardedAIStoreProvider
    {
        public GuardedAIStoreKind Kind => GuardedAIStoreKind.Redis;

        public void Configure(GuardedAIOptions source, BudgetEngineOptions target, IServiceProvider services)
        {
            var options = new RedisStoreOptions();
            if (!string.IsNullOrWhiteSpace(source.Redis.Configuration)) options.Configuration = source.Redis.Configuration;
            if (!string.IsNullOrWhiteSpace(source.Redis.KeyPrefix)) options.KeyPrefix = source.Redis.KeyPrefix;
            if (source.Redis.ConnectTimeoutMs is { } connect) options.ConnectTimeout = TimeSpan.FromMilliseconds(connect);
            if (source.Redis.OperationTimeoutMs is { } operation) options.OperationTimeout = TimeSpan.FromMilliseconds(operation);
            configure?.Invoke(options);
            if (string.IsNullOrWhiteSpace(source.Redis.Configuration) && configure is null)
            {
                throw new InvalidOperationException("GuardedAI:Store is 'redis' but GuardedAI:Redis:Configuration is not set (a StackExchange.Redis connection string such as 'localhost:6379').");
            }
            var logger = target.LoggerFactory?.CreateLogger("GuardedAI.Redis");
            var redis = GuardedAIRedis.ConnectAsync(options, logger).GetAwaiter().GetResult();
            redis.ApplyTo(target);
            target.OwnedResources.Add(redis);
        }
    }
}

using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>Alert de-duplication shared by every instance: <c>SET key 1 NX</c> with an expiry at the end of the alert's window.</summary>
public sealed class RedisAlertDedupStore : IAlertDedupStore
{
    private readonly GuardedAIRedis _redis;

    internal RedisAlertDedupStore(GuardedAIRedis redis) => _redis = redis;

    /// <inheritdoc/>
    public async ValueTask<bool> TryClaimAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var ttl = expiresAt - DateTimeOffset.UtcNow;
        if (ttl < TimeSpan.FromSeconds(1)) ttl = TimeSpan.FromSeconds(1);
        RedisKey name = _redis.Options.KeyPrefix + "a:" + key;
        return await _redis.RunAsync(db => db.StringSetAsync(name, 1, ttl, When.NotExists), cancellationToken).ConfigureAwait(false);
    }
}

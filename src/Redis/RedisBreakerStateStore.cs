using System.Globalization;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>Breaker state in one Redis hash shared by every instance; the latest change of a scope wins.</summary>
public sealed class RedisBreakerStateStore : IBreakerStateStore
{
    private readonly GuardedAIRedis _redis;

    internal RedisBreakerStateStore(GuardedAIRedis redis) => _redis = redis;

    private RedisKey Key => _redis.Options.KeyPrefix + "breakers";

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<BreakerSnapshot>> LoadAsync(CancellationToken cancellationToken = default)
    {
        var entries = await _redis.RunAsync(db => db.HashGetAllAsync(Key), cancellationToken).ConfigureAwait(false);
        var list = new List<BreakerSnapshot>(entries.Length);
        foreach (var entry in entries)
        {
            if (Parse(entry.Name!, entry.Value!) is { } snapshot) list.Add(snapshot);
        }
        return list;
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(BreakerSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var updated = snapshot.UpdatedAt.ToUnixTimeMilliseconds();
        var until = snapshot.OpenUntil == DateTimeOffset.MaxValue ? long.MaxValue : snapshot.OpenUntil == DateTimeOffset.MinValue ? 0 : snapshot.OpenUntil.ToUnixTimeMilliseconds();
        var payload = string.Create(CultureInfo.InvariantCulture, $"{updated}|{(int)snapshot.State}|{until}|{snapshot.Reason}");
        await _redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.SaveBreaker, [Key], [snapshot.Scope, updated, payload]), cancellationToken).ConfigureAwait(false);
    }

    private static BreakerSnapshot? Parse(string scope, string payload)
    {
        var parts = payload.Split('|', 4);
        if (parts.Length < 3
            || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var updated)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var state)
            || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var until))
        {
            return null;
        }
        var openUntil = until == long.MaxValue ? DateTimeOffset.MaxValue : until == 0 ? DateTimeOffset.MinValue : DateTimeOffset.FromUnixTimeMilliseconds(until);
        return new BreakerSnapshot(scope, (CircuitBreakerState)state, openUntil, parts.Length > 3 && parts[3].Length > 0 ? parts[3] : null,
            DateTimeOffset.FromUnixTimeMilliseconds(updated));
    }
}

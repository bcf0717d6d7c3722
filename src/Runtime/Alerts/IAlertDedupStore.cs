namespace GuardedAI;

/// <summary>
/// Shares alert de-duplication between instances: the first instance to claim a key delivers the alert, the
/// others do not. The Redis implementation is <c>SET key NX</c> with an expiry at the end of the alert's window.
/// </summary>
public interface IAlertDedupStore
{
    /// <summary>Claims <paramref name="key"/> until <paramref name="expiresAt"/>.</summary>
    /// <returns>True if this caller claimed it (and should deliver), false if someone already had.</returns>
    ValueTask<bool> TryClaimAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}

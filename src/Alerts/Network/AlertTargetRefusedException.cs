namespace GuardedAI.Alerts;

/// <summary>
/// An alert target (webhook or SMTP host) was refused because it is, or resolves to, an address alerts may not reach
/// (loopback, private, link-local, unique-local, cloud metadata…) and no allowed network covers it. Never retried.
/// </summary>
public sealed class AlertTargetRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AlertTargetRefusedException(string message) : base(message) { }
}

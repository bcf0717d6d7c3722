using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// A GAI001 candidate: where the call is, what it calls, on which receiver, and the origin of that receiver.
/// Reported at once when unguarded, kept until compilation end when its origin waits on fields, properties or DI.
/// </summary>
internal sealed class PendingCall
{
    public PendingCall(Location location, string method, string? receiver, ClientOrigin origin)
    {
        Location = location;
        Method = method;
        Receiver = receiver;
        Origin = origin;
    }

    public Location Location { get; }
    public string Method { get; }
    public string? Receiver { get; }
    public ClientOrigin Origin { get; }
}

using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>One registration of a traced service (chat client, embedding generator, chat completion service, agent) and the origin of what it registers.</summary>
internal sealed class ServiceRegistration
{
    public ServiceRegistration(Location location, ServiceKinds kind, ClientOrigin origin, string? connector)
    {
        Location = location;
        Kind = kind;
        Origin = origin;
        Connector = connector;
    }

    public Location Location { get; }
    public ServiceKinds Kind { get; }
    public ClientOrigin Origin { get; }

    /// <summary>The SDK helper that registered a provider directly (<c>AddOpenAIChatCompletion</c>), if it was one.</summary>
    public string? Connector { get; }
}

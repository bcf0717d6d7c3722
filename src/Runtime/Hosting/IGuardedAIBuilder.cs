using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI;

/// <summary>
/// What <c>services.AddGuardedAI(...)</c> returns: store and integration packages add themselves to it
/// (<c>.AddSqliteLedger()</c>, <c>.AddRedisCounters()</c>), each reading its own section under <c>GuardedAI</c>.
/// </summary>
public interface IGuardedAIBuilder
{
    /// <summary>The service collection GuardedAI is registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>The <c>GuardedAI</c> configuration section, if <c>AddGuardedAI</c> was given a configuration.</summary>
    IConfigurationSection? Configuration { get; }
}

internal sealed class GuardedAIBuilder(IServiceCollection services, IConfigurationSection? configuration) : IGuardedAIBuilder
{
    public IServiceCollection Services { get; } = services;
    public IConfigurationSection? Configuration { get; } = configuration;
}

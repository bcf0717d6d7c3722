using Microsoft.Extensions.Hosting;

namespace GuardedAI;

/// <summary>Builds the engine when the host starts, so a bad <c>GuardedAI</c> section or an unreachable required store
/// fails the start with its message, and the first call finds today's spend restored.</summary>
internal sealed class GuardedAIStartup(GuardedAIEngineFactory factory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => factory.GetAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

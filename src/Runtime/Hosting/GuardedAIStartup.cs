using Microsoft.Extensions.Hosting;

namespace GuardedAI;

/// <summary>Builds the engine when the host starts, so a bad <c>GuardedAI</c> section or an unreachable required store
/// fails the start with its message, the first call finds today's spend restored, and a changed set of budgets is in
/// the audit trail (<c>config.changed</c>) once the start is done.</summary>
internal sealed class GuardedAIStartup(GuardedAIEngineFactory factory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => factory.StartedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>
/// Builds the one engine of a service provider: the <c>GuardedAI</c> section, then every store's
/// <see cref="IGuardedAIEngineSetup"/>, then the audit log and the code's own configuration, then the engine and its
/// restore — asynchronously, once. The host's start awaits it (<see cref="GuardedAIStartup"/>); resolving
/// <see cref="BudgetEngine"/> returns the built engine.
/// </summary>
internal sealed class GuardedAIEngineFactory(IServiceProvider services, IConfigurationSection? section, Action<BudgetEngineOptions>? configure) : IAsyncDisposable
{
    private readonly object _gate = new();
    private Task<BudgetEngine>? _engine;

    public Task<BudgetEngine> GetAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return _engine ??= BuildAsync(cancellationToken);
    }

    /// <summary>The engine for a synchronous resolution: built, or buildable without asynchronous work.</summary>
    public BudgetEngine GetForResolution()
    {
        lock (_gate)
        {
            if (_engine is { IsCompletedSuccessfully: true } built) return built.Result;
            if (_engine is { IsFaulted: true } failed) return failed.GetAwaiter().GetResult(); // rethrows the start-up error as it was
            if (_engine is null && !services.GetServices<IGuardedAIEngineSetup>().Any())
            {
                // Nothing to connect or restore (in-memory counters and ledger): the constructor is all there is.
                var options = BuildOptions();
                if (options.Ledger is null or InMemoryUsageLedger)
                {
                    var engine = new BudgetEngine(options);
                    _engine = Task.FromResult(engine);
                    return engine;
                }
            }
        }
        throw new InvalidOperationException(
            "GuardedAI's engine is built when the host starts: its stores connect and restore today's spend asynchronously. " +
            "Resolve BudgetEngine after the host has started, or, without a host, await serviceProvider.GetGuardedAIEngineAsync() first.");
    }

    private async Task<BudgetEngine> BuildAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var options = BuildOptions(applyCode: false);
        foreach (var setup in services.GetServices<IGuardedAIEngineSetup>())
        {
            await setup.ConfigureAsync(options, services, cancellationToken).ConfigureAwait(false);
        }
        if (section is not null && section.Exists()) GuardedAIConfiguration.ApplyAuditLog(Bind(section), options);
        configure?.Invoke(options);
        return await BudgetEngine.CreateAsync(options, cancellationToken).ConfigureAwait(false);
    }

    private BudgetEngineOptions BuildOptions(bool applyCode = true)
    {
        var options = new BudgetEngineOptions
        {
            LoggerFactory = services.GetService<ILoggerFactory>(),
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            MeterFactory = services.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
        };
        if (section is not null && section.Exists())
        {
            CheckStoreSections(section);
            GuardedAIConfiguration.Apply(Bind(section), options, services);
        }
        if (applyCode)
        {
            if (section is not null && section.Exists()) GuardedAIConfiguration.ApplyAuditLog(Bind(section), options);
            configure?.Invoke(options);
        }
        return options;
    }

    /// <summary>A section that belongs to no setting and to no store added to the builder fails the start, naming what to add.</summary>
    private void CheckStoreSections(IConfigurationSection root)
    {
        var claimed = services.GetServices<IGuardedAIEngineSetup>().Select(s => s.ConfigurationSection).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var settings = typeof(GuardedAIOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        AlertConfiguration.CheckChannelSections(root, claimed);
        foreach (var child in root.GetChildren())
        {
            if (settings.Contains(child.Key) || claimed.Contains(child.Key)) continue;
            throw new InvalidOperationException(
                $"{child.Path} is not a GuardedAI setting, and no store added to AddGuardedAI(...) reads it. A store package reads its own section once added: " +
                "GuardedAI:Sqlite needs .AddSqliteLedger() (GuardedAI.Sqlite), GuardedAI:Redis needs .AddRedisCounters() (GuardedAI.Redis).");
        }
    }

    private static GuardedAIOptions Bind(IConfigurationSection section) => section.Get<GuardedAIOptions>() ?? new GuardedAIOptions();

    public async ValueTask DisposeAsync()
    {
        Task<BudgetEngine>? engine;
        lock (_gate) engine = _engine;
        if (engine is { IsCompletedSuccessfully: true }) await engine.Result.DisposeAsync().ConfigureAwait(false);
    }
}

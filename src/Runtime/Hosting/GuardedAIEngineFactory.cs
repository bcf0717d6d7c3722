using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>
/// Builds the one engine of a service provider: the <c>GuardedAI</c> section, then every store's
/// <see cref="IGuardedAIEngineSetup"/>, then the audit log and the code's own configuration, then the engine and its
/// restore — asynchronously, once. The host's start awaits it (<see cref="GuardedAIStartup"/>); resolving
/// <see cref="BudgetEngine"/> returns the built engine. When the stores give an audit trail, the budgets the engine
/// starts with, and every reload of them, are compared with what it last recorded (<see cref="ConfigurationAudit"/>).
/// </summary>
internal sealed class GuardedAIEngineFactory(IServiceProvider services, IConfigurationSection? section, Action<BudgetEngineOptions>? configure) : IAsyncDisposable
{
    private readonly object _gate = new();
    private Task<BudgetEngine>? _engine;
    private BudgetConfigurationReload? _reload;
    private ConfigurationAudit? _audit;

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
                    WatchForReload(engine, Audit(options));
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
        // A durable ledger that cannot write (a locked file) is a store-down condition for in-process counters: alert, then
        // the configured fail mode. (Shared counters such as Redis are the store; the ledger never stalls a call past its timeout.)
        if (options.Store is null && options.Ledger is ILedgerAvailability availability)
            options.Store = new LedgerGatedCounterStore(new InMemoryBudgetCounterStore(options.TimeProvider), availability);
        if (section is not null && section.Exists()) GuardedAIConfiguration.ApplyAuditLog(Bind(section), options);
        configure?.Invoke(options);
        var engine = await BudgetEngine.CreateAsync(options, cancellationToken).ConfigureAwait(false);
        var audit = Audit(options);
        WatchForReload(engine, audit);
        if (audit is not null) await audit.Started.ConfigureAwait(false);
        return engine;
    }

    /// <summary>The start's <c>config.changed</c> comparison (and entry): the host's start awaits it after the engine.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        await GetAsync(cancellationToken).ConfigureAwait(false);
        ConfigurationAudit? audit;
        lock (_gate) audit = _audit;
        if (audit is not null) await audit.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records the budgets the engine starts with (when the stores give an audit trail), then follows reloads.</summary>
    private ConfigurationAudit? Audit(BudgetEngineOptions options)
    {
        // PostgreSQL's state store is its audit trail as well as its reset store: a store need not name it twice.
        if ((options.OperatorAuditLog ?? options.CounterResets as IOperatorAuditLog) is not { } log) return null;
        var audit = new ConfigurationAudit(log, options.TimeProvider, Logger(), options);
        lock (_gate) _audit = audit;
        return audit;
    }

    private ILogger Logger() =>
        (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("GuardedAI.Configuration");

    /// <summary>Budgets follow a reloaded configuration (a mode switched from shadow to enforce, say) without a restart.</summary>
    private void WatchForReload(BudgetEngine engine, ConfigurationAudit? audit)
    {
        if (section is null) return;
        var reload = new BudgetConfigurationReload(section, engine, GuardedAIConfigurationSchema.Create(services.GetServices<GuardedAIConfigurationSection>()), Logger(), audit);
        lock (_gate)
        {
            _reload?.Dispose();
            _reload = reload;
        }
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
            // The binder forgives unknown keys and drops entries it cannot convert: check strictly first, every problem at once.
            var errors = PackageSectionErrors(section).ToList();
            foreach (var error in StrictConfigurationValidator.Validate(section, GuardedAIConfigurationSchema.Create(services.GetServices<GuardedAIConfigurationSection>())))
            {
                if (!errors.Any(e => error.Path.StartsWith(e.Path, StringComparison.OrdinalIgnoreCase))) errors.Add(error);
            }
            if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);
            GuardedAIConfiguration.Apply(Bind(section), options, services);
        }
        if (applyCode)
        {
            if (section is not null && section.Exists()) GuardedAIConfiguration.ApplyAuditLog(Bind(section), options);
            configure?.Invoke(options);
        }
        return options;
    }

    /// <summary>The sections of GuardedAI's own packages, configured without the package added: the start fails naming the method to add.</summary>
    private static readonly string[] PackageSections = ["Sqlite", "Redis", "PostgreSql"];

    private IEnumerable<ConfigurationError> PackageSectionErrors(IConfigurationSection root)
    {
        var claimed = services.GetServices<GuardedAIConfigurationSection>().Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var error in AlertConfiguration.ChannelSectionErrors(root, claimed)) yield return error;
        foreach (var child in root.GetChildren())
        {
            if (!PackageSections.Contains(child.Key, StringComparer.OrdinalIgnoreCase) || claimed.Contains(child.Key)) continue;
            yield return new ConfigurationError(child.Path,
                "is not a GuardedAI setting, and no store added to AddGuardedAI(...) reads it. A store package reads its own section once added: " +
                "GuardedAI:Sqlite needs .AddSqliteLedger() (GuardedAI.Sqlite), GuardedAI:Redis needs .AddRedisCounters() (GuardedAI.Redis).");
        }
    }

    private static GuardedAIOptions Bind(IConfigurationSection section) => section.Get<GuardedAIOptions>() ?? new GuardedAIOptions();

    public async ValueTask DisposeAsync()
    {
        Task<BudgetEngine>? engine;
        ConfigurationAudit? audit;
        lock (_gate)
        {
            engine = _engine;
            audit = _audit;
            _reload?.Dispose();
            _reload = null;
        }
        if (audit is not null) await audit.Idle.ConfigureAwait(false); // an entry being written finishes (failures are logged, never thrown)
        if (engine is { IsCompletedSuccessfully: true }) await engine.Result.DisposeAsync().ConfigureAwait(false);
    }
}

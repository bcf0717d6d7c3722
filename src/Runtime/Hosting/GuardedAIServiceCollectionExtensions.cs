using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GuardedAI;

/// <summary>Registers GuardedAI in a service collection.</summary>
public static class GuardedAIServiceCollectionExtensions
{
    /// <summary>
    /// Registers the singleton <see cref="BudgetEngine"/>, built from the <c>GuardedAI</c> section of
    /// <paramref name="configuration"/> (when given), the stores added to the returned builder, and
    /// <paramref name="configure"/>. With no store added, counters and the ledger are in memory: nothing survives the
    /// process — add <c>.AddSqliteLedger()</c> (GuardedAI.Sqlite) to keep spend across restarts. The engine is built
    /// when the host starts (a bad section fails the start with its path); without a host, await
    /// <see cref="GetGuardedAIEngineAsync"/> once.
    /// </summary>
    public static IGuardedAIBuilder AddGuardedAI(this IServiceCollection services, IConfiguration? configuration = null, Action<BudgetEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var section = configuration?.GetSection(GuardedAIOptions.SectionName);
        // The configured engine replaces a default one that a generated AddXxx() may have registered first.
        services.RemoveAll<BudgetEngine>();
        services.RemoveAll<GuardedAIEngineFactory>();
        services.AddSingleton<GuardedAIEngineFactory>(provider => new GuardedAIEngineFactory(provider, section, configure));
        services.AddSingleton<BudgetEngine>(provider => provider.GetRequiredService<GuardedAIEngineFactory>().GetForResolution());
        if (!services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(GuardedAIStartup)))
        {
            services.AddSingleton<IHostedService, GuardedAIStartup>();
        }
        return new GuardedAIBuilder(services, section);
    }

    /// <summary>
    /// Declares a section of <c>GuardedAI</c> that a package owns (a store's settings), so that start-up checks it as
    /// strictly as the built-in sections: unknown keys and bad values fail with their path. With a null
    /// <paramref name="schema"/>, the package checks the section itself and start-up leaves keys it does not know to it
    /// (the alert channels under <c>GuardedAI:Alerts</c>).
    /// </summary>
    public static IGuardedAIBuilder AddConfigurationSection(this IGuardedAIBuilder builder, string key, ConfigurationSchema? schema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        builder.Services.AddSingleton(new GuardedAIConfigurationSection(key, schema));
        return builder;
    }

    /// <summary>Registers the engine configured only in code.</summary>
    public static IGuardedAIBuilder AddGuardedAI(this IServiceCollection services, Action<BudgetEngineOptions> configure) =>
        services.AddGuardedAI(configuration: null, configure);

    /// <summary>
    /// Builds (once) and returns the engine of <paramref name="services"/>, with its stores connected and its counters
    /// restored: what the host's start does, for an application without a host.
    /// </summary>
    public static Task<BudgetEngine> GetGuardedAIEngineAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var factory = services.GetService<GuardedAIEngineFactory>()
            ?? throw new InvalidOperationException("GuardedAI is not registered: call services.AddGuardedAI(...) first.");
        return factory.GetAsync(cancellationToken);
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>Registers GuardedAI in a service collection.</summary>
public static class GuardedAIServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="BudgetEngine"/> built from the <c>GuardedAI</c> section of
    /// <paramref name="configuration"/> (when given) and <paramref name="configure"/>. Bad configuration fails
    /// when the engine is first resolved, with a message naming every unknown key and bad value by its configuration
    /// path (see <see cref="GuardedAIConfigurationSchema"/>). The engine is built with
    /// <see cref="BudgetEngine.CreateAsync"/>, so with a durable store (<c>GuardedAI:Store</c> = sqlite or redis) its
    /// counters and breakers are restored when it is first resolved.
    /// </summary>
    public static IServiceCollection AddGuardedAI(this IServiceCollection services, IConfiguration? configuration = null, Action<BudgetEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // The configured engine replaces a default one that a generated AddXxx() may have registered first.
        services.RemoveAll<BudgetEngine>();
        services.AddSingleton(provider =>
        {
            var options = new BudgetEngineOptions
            {
                LoggerFactory = provider.GetService<ILoggerFactory>(),
                TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System,
            };
            var section = configuration?.GetSection(GuardedAIOptions.SectionName);
            if (section is not null && section.Exists())
            {
                // The binder forgives unknown keys and drops dictionary entries it cannot convert: check strictly first.
                StrictConfigurationValidator.ThrowIfInvalid(section, GuardedAIConfigurationSchema.Create(provider.GetServices<GuardedAIConfigurationSection>()));
                var bound = section.Get<GuardedAIOptions>() ?? new GuardedAIOptions();
                GuardedAIConfiguration.Apply(bound, options, provider);
            }
            configure?.Invoke(options);
            // Resolution is synchronous; restoring reads the ledger once, at start.
            return BudgetEngine.CreateAsync(options).GetAwaiter().GetResult();
        });
        return services;
    }

    /// <summary>
    /// Declares a section of <c>GuardedAI</c> that a package owns (e.g. <c>GuardedAI:Postgres</c>), so that start-up
    /// checks it as strictly as the built-in sections: unknown keys and bad values fail with their path. A section
    /// registered under a built-in key replaces the built-in description.
    /// </summary>
    public static IServiceCollection AddGuardedAIConfigurationSection(this IServiceCollection services, string key, ConfigurationSchema schema)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(schema);
        services.AddSingleton(new GuardedAIConfigurationSection(key, schema));
        return services;
    }

    /// <summary>Registers the engine configured only in code.</summary>
    public static IServiceCollection AddGuardedAI(this IServiceCollection services, Action<BudgetEngineOptions> configure) =>
        services.AddGuardedAI(configuration: null, configure);
}

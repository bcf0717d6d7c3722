using GuardedAI.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.PostgreSql;

/// <summary>Adds the PostgreSQL ledger to <c>services.AddGuardedAI(...)</c>.</summary>
public static class PostgreSqlGuardedAIBuilderExtensions
{
    /// <summary>The section under <c>GuardedAI</c> these settings are read from.</summary>
    public const string SectionName = "PostgreSql";

    /// <summary>
    /// Keeps every usage record in PostgreSQL, shared by every instance (settings from <c>GuardedAI:PostgreSql</c>, then
    /// <paramref name="configure"/>), with breaker state, counter resets and the operator audit trail beside it (unless
    /// a store such as Redis provides breaker state). When the host starts, the schema is created or migrated, a spill an
    /// earlier run left is replayed, and the current windows' spend is restored from the ledger.
    /// </summary>
    public static IGuardedAIBuilder AddPostgreSqlLedger(this IGuardedAIBuilder builder, Action<PostgreSqlLedgerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConfigurationSection(SectionName, Schema);
        var retention = new RetentionTarget<PostgreSqlLedgerOptions>();
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new PostgreSqlLedgerSetup(builder.Configuration?.GetSection(SectionName), configure, retention));
        // Automatic retention (GuardedAI:PostgreSql:Retention, or PostgreSqlLedgerOptions.Retention): a background worker of the host.
        builder.Services.AddSingleton<IHostedService>(services => new PostgreSqlRetentionWorker(retention,
            services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetService<ILogger<PostgreSqlRetentionWorker>>() ?? NullLogger<PostgreSqlRetentionWorker>.Instance));
        return builder;
    }

    /// <summary>What <c>GuardedAI:PostgreSql</c> may hold.</summary>
    internal static ConfigurationSchema Schema => new ConfigurationSchema("the PostgreSQL section")
        .Value("ConnectionString", ConfigurationValue.Text.NonEmpty.Secret)
        .Value("Schema", ConfigurationValue.Text.NonEmpty)
        .Value("Durability", ConfigurationValue.OneOf<PostgreSqlDurability>("a durability").NonEmpty)
        .Value("BatchSize", ConfigurationValue.Integer(1, 100_000))
        .Value("FlushIntervalMs", ConfigurationValue.Integer(0, 3_600_000))
        .Value("QueueCapacity", ConfigurationValue.Integer(1, 10_000_000))
        .Value("WriteTimeoutMs", ConfigurationValue.Integer(1, 600_000))
        .Value("SpillPath", ConfigurationValue.Text.NonEmpty)
        .Value("SpillCapacity", ConfigurationValue.Integer(1, 100_000_000))
        .Value("RetryIntervalMs", ConfigurationValue.Integer(1, 3_600_000))
        .Section("Retention", RetentionSection.Schema("the PostgreSQL retention section"));

    /// <summary>Reads the section into options (then <paramref name="configure"/>).</summary>
    internal static PostgreSqlLedgerOptions ReadOptions(IConfigurationSection? section, Action<PostgreSqlLedgerOptions>? configure)
    {
        var options = new PostgreSqlLedgerOptions();
        if (section is not null && section.Exists()) (section.Get<PostgreSqlSection>() ?? new PostgreSqlSection()).ApplyTo(options);
        configure?.Invoke(options);
        return options;
    }

    private sealed class PostgreSqlLedgerSetup(IConfigurationSection? section, Action<PostgreSqlLedgerOptions>? configure, RetentionTarget<PostgreSqlLedgerOptions> retention) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public async ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var options = ReadOptions(section, configure);
            options.Retention?.ThrowIfInvalid($"GuardedAI:{SectionName}:Retention");
            var ledger = await PostgreSqlUsageLedger.OpenAsync(options, target.LoggerFactory?.CreateLogger("GuardedAI.Ledger"), target.AlertSinks, cancellationToken).ConfigureAwait(false);
            target.Ledger = ledger;
            // Audit entries (breaker changes, resets, retention removals) go into this instance's own segments, beside its records.
            options.ChainWriter ??= ledger.ChainWriter;
            retention.Set(options, options.Retention);
            var state = new PostgreSqlStateStore(options);
            target.BreakerStateStore ??= state;
            target.CounterResets ??= state;
            target.OwnedResources.Add(state);
        }
    }
}

/// <summary>The <c>GuardedAI:PostgreSql</c> section as configuration spells it.</summary>
internal sealed class PostgreSqlSection
{
    public string? ConnectionString { get; set; }
    public string? Schema { get; set; }
    public PostgreSqlDurability? Durability { get; set; }
    public int? BatchSize { get; set; }
    public int? FlushIntervalMs { get; set; }
    public int? QueueCapacity { get; set; }
    public int? WriteTimeoutMs { get; set; }
    public string? SpillPath { get; set; }
    public int? SpillCapacity { get; set; }
    public int? RetryIntervalMs { get; set; }
    public RetentionSection? Retention { get; set; }

    public void ApplyTo(PostgreSqlLedgerOptions options)
    {
        if (ConnectionString is not null) options.ConnectionString = ConnectionString;
        if (Schema is not null) options.Schema = Schema;
        if (Durability is { } durability) options.Durability = durability;
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (FlushIntervalMs is { } flush) options.FlushInterval = TimeSpan.FromMilliseconds(flush);
        if (QueueCapacity is { } capacity) options.QueueCapacity = capacity;
        if (WriteTimeoutMs is { } write) options.WriteTimeout = TimeSpan.FromMilliseconds(write);
        if (SpillPath is not null) options.SpillPath = SpillPath;
        if (SpillCapacity is { } spill) options.SpillCapacity = spill;
        if (RetryIntervalMs is { } retry) options.RetryInterval = TimeSpan.FromMilliseconds(retry);
        if (Retention is { } retention) options.Retention = retention.ApplyTo(options.Retention);
    }
}

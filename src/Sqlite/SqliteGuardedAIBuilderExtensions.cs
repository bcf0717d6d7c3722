using GuardedAI.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.Sqlite;

/// <summary>Adds the SQLite ledger to <c>services.AddGuardedAI(...)</c>.</summary>
public static class SqliteGuardedAIBuilderExtensions
{
    /// <summary>The section under <c>GuardedAI</c> these settings are read from.</summary>
    public const string SectionName = "Sqlite";

    /// <summary>
    /// Keeps every usage record in a SQLite file (settings from <c>GuardedAI:Sqlite</c>, then <paramref name="configure"/>)
    /// and breaker state beside it (unless a shared store such as Redis provides breaker state). When the host starts,
    /// the file is opened and migrated and the current windows' spend is restored from it, so a restart mid-day keeps
    /// today's spend.
    /// </summary>
    public static IGuardedAIBuilder AddSqliteLedger(this IGuardedAIBuilder builder, Action<SqliteLedgerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Checked strictly with the rest of the GuardedAI section when the host starts, then read.
        builder.AddConfigurationSection(SectionName, Schema);
        var retention = new RetentionTarget<string>();
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new SqliteLedgerSetup(builder.Configuration?.GetSection(SectionName), configure, retention));
        // Automatic retention (GuardedAI:Sqlite:Retention, or SqliteLedgerOptions.Retention): a background worker of the host.
        builder.Services.AddSingleton<IHostedService>(services => new SqliteRetentionWorker(retention,
            services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetService<ILogger<SqliteRetentionWorker>>() ?? NullLogger<SqliteRetentionWorker>.Instance));
        return builder;
    }

    /// <summary>What <c>GuardedAI:Sqlite</c> may hold.</summary>
    internal static ConfigurationSchema Schema => new ConfigurationSchema("the SQLite section")
        .Value("Path", ConfigurationValue.Text.NonEmpty)
        .Value("Durability", ConfigurationValue.OneOf<LedgerDurability>("a durability").NonEmpty)
        .Value("BatchSize", ConfigurationValue.Integer(1, 100_000))
        .Value("FlushIntervalMs", ConfigurationValue.Integer(0, 3_600_000))
        .Value("QueueCapacity", ConfigurationValue.Integer(1, 10_000_000))
        .Value("BusyTimeoutMs", ConfigurationValue.Integer(1, 600_000))
        .Value("BackgroundCheckpoints", ConfigurationValue.Boolean.NonEmpty)
        .Section("Retention", RetentionSection.Schema("the SQLite retention section"));

    private sealed class SqliteLedgerSetup(IConfigurationSection? section, Action<SqliteLedgerOptions>? configure, RetentionTarget<string> retention) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var options = new SqliteLedgerOptions();
            if (section is not null && section.Exists()) (section.Get<SqliteSection>() ?? new SqliteSection()).ApplyTo(options);
            configure?.Invoke(options);
            options.Retention?.ThrowIfInvalid($"GuardedAI:{SectionName}:Retention");
            var ledger = new SqliteUsageLedger(options, target.LoggerFactory?.CreateLogger("GuardedAI.Ledger"));
            retention.Set(ledger.Path, options.Retention);
            target.Ledger = ledger;
            target.BreakerStateStore ??= new SqliteBreakerStateStore(ledger.Path, options.BusyTimeout);
            var operations = new SqliteOperationsStore(ledger.Path);
            target.CounterResets ??= operations;
            target.OperatorAuditLog ??= operations;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The <c>GuardedAI:Sqlite</c> section as configuration spells it.</summary>
internal sealed class SqliteSection
{
    public string? Path { get; set; }
    public LedgerDurability? Durability { get; set; }
    public int? BatchSize { get; set; }
    public int? FlushIntervalMs { get; set; }
    public int? QueueCapacity { get; set; }
    public int? BusyTimeoutMs { get; set; }
    public bool? BackgroundCheckpoints { get; set; }
    public RetentionSection? Retention { get; set; }

    public void ApplyTo(SqliteLedgerOptions options)
    {
        if (Path is not null) options.Path = Path;
        if (Durability is { } durability) options.Durability = durability;
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (FlushIntervalMs is { } ms) options.FlushInterval = TimeSpan.FromMilliseconds(ms);
        if (QueueCapacity is { } capacity) options.QueueCapacity = capacity;
        if (BusyTimeoutMs is { } busy) options.BusyTimeout = TimeSpan.FromMilliseconds(busy);
        if (BackgroundCheckpoints is { } checkpoints) options.BackgroundCheckpoints = checkpoints;
        if (Retention is { } retention) options.Retention = retention.ApplyTo(options.Retention);
    }
}

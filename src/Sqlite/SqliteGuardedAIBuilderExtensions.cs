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
        var retention = new SqliteRetentionTarget();
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
        .Section("Retention", new ConfigurationSchema("the SQLite retention section")
            .Value("Enabled", ConfigurationValue.Boolean)
            .Value("RawDays", ConfigurationValue.Integer(1, 100_000))
            .Value("RollupMonths", ConfigurationValue.Integer(1, 10_000))
            .Value("IntervalMinutes", ConfigurationValue.Integer(1, 525_600))
            .Value("BatchSize", ConfigurationValue.Integer(1, 1_000_000))
            .Value("KeepFrom", ConfigurationValue.Custom("a date (yyyy-MM-dd, UTC)", raw => SqliteRetentionSection.TryParseDate(raw, out _))));

    private sealed class SqliteLedgerSetup(IConfigurationSection? section, Action<SqliteLedgerOptions>? configure, SqliteRetentionTarget retention) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var options = new SqliteLedgerOptions();
            if (section is not null && section.Exists()) (section.Get<SqliteSection>() ?? new SqliteSection()).ApplyTo(options);
            configure?.Invoke(options);
            if (options.Retention is { } policy)
            {
                var errors = policy.Problems().Select(p => new ConfigurationError($"GuardedAI:{SectionName}:Retention:{(p.Setting == nameof(SqliteRetentionOptions.Interval) ? "IntervalMinutes" : p.Setting)}", p.Problem)).ToList();
                if (errors.Count > 0) throw new GuardedAIConfigurationException(errors);
            }
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
    public SqliteRetentionSection? Retention { get; set; }

    public void ApplyTo(SqliteLedgerOptions options)
    {
        if (Path is not null) options.Path = Path;
        if (Durability is { } durability) options.Durability = durability;
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (FlushIntervalMs is { } ms) options.FlushInterval = TimeSpan.FromMilliseconds(ms);
        if (QueueCapacity is { } capacity) options.QueueCapacity = capacity;
        if (BusyTimeoutMs is { } busy) options.BusyTimeout = TimeSpan.FromMilliseconds(busy);
        if (Retention is { } retention) options.Retention = retention.Enabled == false ? null : retention.ApplyTo(options.Retention ?? new SqliteRetentionOptions());
    }
}

/// <summary>The <c>GuardedAI:Sqlite:Retention</c> section as configuration spells it; its presence turns automatic retention on (<c>Enabled: false</c> turns it off).</summary>
internal sealed class SqliteRetentionSection
{
    public bool? Enabled { get; set; }
    public int? RawDays { get; set; }
    public int? RollupMonths { get; set; }
    public int? IntervalMinutes { get; set; }
    public int? BatchSize { get; set; }
    public string? KeepFrom { get; set; }

    public SqliteRetentionOptions ApplyTo(SqliteRetentionOptions options)
    {
        if (RawDays is { } raw) options.RawDays = raw;
        if (RollupMonths is { } months) options.RollupMonths = months;
        if (IntervalMinutes is { } minutes) options.Interval = TimeSpan.FromMinutes(minutes);
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (KeepFrom is { } keep && TryParseDate(keep, out var from)) options.KeepFrom = from;
        return options;
    }

    public static bool TryParseDate(string raw, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(raw, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out date);
}

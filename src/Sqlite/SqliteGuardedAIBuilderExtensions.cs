using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        var options = new SqliteLedgerOptions();
        if (builder.Configuration?.GetSection(SectionName) is { } section && section.Exists())
        {
            var settings = new SqliteSection();
            section.Bind(settings, binder => binder.ErrorOnUnknownConfiguration = true);
            settings.ApplyTo(options);
        }
        configure?.Invoke(options);
        builder.Services.AddSingleton<IGuardedAIEngineSetup>(new SqliteLedgerSetup(options));
        return builder;
    }

    private sealed class SqliteLedgerSetup(SqliteLedgerOptions options) : IGuardedAIEngineSetup
    {
        public string ConfigurationSection => SectionName;

        public ValueTask ConfigureAsync(BudgetEngineOptions target, IServiceProvider services, CancellationToken cancellationToken)
        {
            var ledger = new SqliteUsageLedger(options, target.LoggerFactory?.CreateLogger("GuardedAI.Ledger"));
            target.Ledger = ledger;
            target.BreakerStateStore ??= new SqliteBreakerStateStore(ledger.Path);
            target.CounterResets ??= new SqliteOperationsStore(ledger.Path);
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

    public void ApplyTo(SqliteLedgerOptions options)
    {
        if (Path is not null) options.Path = Path;
        if (Durability is { } durability) options.Durability = durability;
        if (BatchSize is { } batch) options.BatchSize = batch;
        if (FlushIntervalMs is { } ms) options.FlushInterval = TimeSpan.FromMilliseconds(ms);
        if (QueueCapacity is { } capacity) options.QueueCapacity = capacity;
    }
}

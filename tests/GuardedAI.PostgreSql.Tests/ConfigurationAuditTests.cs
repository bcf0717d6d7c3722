using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL ledger's audit trail gets the hosts' <c>config.changed</c> entries too (its state store is the audit
/// log): one at the first start, none for a restart with the same budgets, one naming what a changed limit changed.
/// </summary>
[Collection("postgres")]
public sealed class ConfigurationAuditTests(PostgresFixture fixture) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _schema = PostgresFixture.NewSchema();

    public void Dispose() => _dir.Dispose();

    private async Task StartAsync(string dailyRequests)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:bot:DailyRequests"] = dailyRequests,
            ["GuardedAI:PostgreSql:ConnectionString"] = fixture.Server.ConnectionString(),
            ["GuardedAI:PostgreSql:Schema"] = _schema,
            ["GuardedAI:PostgreSql:SpillPath"] = _dir.File("spill.jsonl"),
        }).Build();
        var services = new ServiceCollection();
        services.AddGuardedAI(configuration).AddPostgreSqlLedger();
        await using var provider = services.BuildServiceProvider();
        await provider.GetGuardedAIEngineAsync();
    }

    private Task<long> CountAsync(string where) =>
        Records.ScalarAsync(fixture.Server, _schema, "SELECT count(*) FROM audit_log WHERE action = 'config.changed'" + where);

    [Fact]
    public async Task A_start_with_changed_budgets_is_one_entry_in_the_shared_audit_log_and_an_unchanged_one_none()
    {
        await StartAsync("3");
        Assert.Equal(1, await CountAsync(""));
        await StartAsync("3");
        Assert.Equal(1, await CountAsync(""));
        await StartAsync("5");
        Assert.Equal(2, await CountAsync(""));
        Assert.Equal(1, await CountAsync(" AND scope = 'bot' AND detail LIKE '%daily requests limit 3 → 5%'"));
        Assert.Equal(0, await CountAsync(" AND detail LIKE '%Password%'"));
    }
}

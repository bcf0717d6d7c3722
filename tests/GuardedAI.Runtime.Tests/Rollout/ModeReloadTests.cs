using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests.Rollout;

/// <summary>A budget's mode follows a configuration reload: shadow to enforce and back, without a restart.</summary>
public class ModeReloadTests
{
    [Fact]
    public async Task Switching_appsettings_from_shadow_to_enforce_takes_effect_on_reload_for_a_pipeline_built_before()
    {
        using var dir = new TempDirectory();
        var file = dir.File("appsettings.json");
        static string Settings(string mode) => $$"""
            { "GuardedAI": { "Budgets": { "bot": { "DailyRequests": 2, "Mode": "{{mode}}" } }, "ShadowBudgets": { "bot": { "DailyRequests": 1 } } } }
            """;
        await File.WriteAllTextAsync(file, Settings("Shadow"));
        var configuration = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(TestEngine.Start));
        services.AddGuardedAI(configuration);
        await using var provider = services.BuildServiceProvider();
        var engine = await provider.GetGuardedAIEngineAsync();
        var policy = engine.GetPolicy("bot")!; // what a pipeline built at start holds
        Assert.Equal(EnforcementMode.Shadow, policy.Mode);
        Assert.Equal("bot-shadow", policy.ShadowCompanion!.Name);

        async Task<string> Call()
        {
            var lease = await engine.TryReserveAsync(policy, engine.Estimate(null, 10, 10));
            if (!lease.IsAcquired) return "denied";
            return (await lease.CommitAsync(new TokenUsage(10, 10))).WouldBeDeniedBy ?? "allowed";
        }

        Assert.Equal("allowed", await Call());
        Assert.Equal("bot-shadow", await Call());
        Assert.Equal("bot,bot-shadow", await Call());

        await File.WriteAllTextAsync(file, Settings("Enforce"));
        configuration.Reload();
        Assert.Equal(EnforcementMode.Enforce, engine.GetPolicy("bot")!.Mode);
        Assert.Equal("denied", await Call()); // the third call was not counted by the budget in shadow: two are used of two

        await File.WriteAllTextAsync(file, Settings("Shadow"));
        configuration.Reload();
        Assert.Equal("bot,bot-shadow", await Call());
    }

    [Fact]
    public async Task A_bad_reload_is_rejected_whole_and_the_budgets_in_force_stay()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:bot:DailyRequests"] = "1",
            ["GuardedAI:Budgets:bot:Mode"] = "Shadow",
        }).Build();
        var log = new RecordingLogger();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(log);
        services.AddGuardedAI(configuration);
        await using var provider = services.BuildServiceProvider();
        var engine = await provider.GetGuardedAIEngineAsync();

        configuration["GuardedAI:Budgets:bot:Mode"] = "Sometimes";
        configuration.Reload();

        Assert.Equal(EnforcementMode.Shadow, engine.GetPolicy("bot")!.Mode);
        Assert.Contains(log.Entries, e => e.Message.Contains("GuardedAI:Budgets:bot:Mode", StringComparison.Ordinal) && e.Message.Contains("rejected", StringComparison.Ordinal));
    }
}

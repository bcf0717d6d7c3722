using System.Text;
using System.Text.Json;
using GuardedAI.Alerts;
using GuardedAI.PostgreSql;
using GuardedAI.Redis;
using GuardedAI.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Docs.Tests.Checking;

/// <summary>
/// Checks a doc's JSON blocks: each must parse (comments and trailing commas allowed, as in appsettings.json), and
/// one holding a <c>GuardedAI</c> section must load through <c>AddGuardedAI</c> with its strict validation — with the
/// SQLite ledger, Redis counters, the PostgreSQL ledger and alert channels added, so their sections are checked too, but not connected (the
/// docs' file paths and servers are not on the test machine): the engine is built with in-memory stores.
/// </summary>
public sealed class JsonConfigurationChecker
{
    private static readonly string[] s_connectingSections = [SqliteGuardedAIBuilderExtensions.SectionName, RedisGuardedAIBuilderExtensions.SectionName, PostgreSqlGuardedAIBuilderExtensions.SectionName];

    public async Task<IReadOnlyList<DocProblem>> CheckAsync(IReadOnlyList<FencedBlock> blocks)
    {
        var problems = new List<DocProblem>();
        foreach (var block in blocks.Where(b => b.IsJson && !b.IsFragment))
        {
            var problem = await CheckAsync(block);
            if (problem is not null) problems.Add(problem);
        }
        return problems;
    }

    private static async Task<DocProblem?> CheckAsync(FencedBlock block)
    {
        try
        {
            using var document = JsonDocument.Parse(block.Text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("GuardedAI", out _)) return null;
        }
        catch (JsonException ex)
        {
            return new DocProblem(block.File, block.FirstLine + (int)(ex.LineNumber ?? 0), $"not valid JSON: {ex.Message}");
        }
        try
        {
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(block.Text))).Build();
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddGuardedAI(configuration).AddSqliteLedger().AddRedisCounters().AddPostgreSqlLedger().AddAlertChannels();
            foreach (var connecting in services.Where(d => d.ImplementationInstance is IGuardedAIEngineSetup setup
                && s_connectingSections.Contains(setup.ConfigurationSection, StringComparer.OrdinalIgnoreCase)).ToList())
            {
                services.Remove(connecting);
            }
            await using var provider = services.BuildServiceProvider();
            await using var engine = await provider.GetGuardedAIEngineAsync();
            return null;
        }
        catch (Exception ex) // whatever start-up throws is the block's problem, reported at its line rather than as a crash of the check
        {
            return new DocProblem(block.File, block.FenceLine, $"the GuardedAI section does not load through AddGuardedAI: {ex.Message}");
        }
    }
}

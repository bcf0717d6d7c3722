using GuardedAI.Docs.Tests.Checking;

namespace GuardedAI.Docs.Tests;

/// <summary>The checker itself, fed Markdown strings: a broken block fails it, naming file and line.</summary>
public sealed class CheckerTests
{
    private const string Fence = "```";

    private static Task<IReadOnlyList<DocProblem>> Check(string markdown) => DocsChecker.CheckAsync("docs/new-page.md", markdown);

    [Fact]
    public async Task A_broken_snippet_fails_naming_file_and_line()
    {
        var markdown = $"""
            # A page

            {Fence}csharp
            using GuardedAI;

            var engine = new BudgetEngine();
            engine.NoSuchMethod();
            {Fence}
            """;
        var problem = Assert.Single(await Check(markdown));
        Assert.Equal("docs/new-page.md", problem.File);
        Assert.Equal(7, problem.Line);
        Assert.Contains("CS1061", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("docs/new-page.md:7: error CS1061", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snippet_that_compiles_passes_and_a_missing_using_does_not()
    {
        var body = """
            var engine = new BudgetEngine();
            var budget = BudgetPolicy.Create("x").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3).Build();
            Console.WriteLine((await engine.GetUsageAsync(budget)).Count);
            """;
        Assert.Empty(await Check($"{Fence}csharp\nusing GuardedAI;\n{body}\n{Fence}"));
        var problems = await Check($"{Fence}csharp\n{body}\n{Fence}");
        Assert.Contains(problems, p => p.Line == 2 && (p.Message.Contains("CS0246", StringComparison.Ordinal) || p.Message.Contains("CS0103", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_warning_fails_the_check_as_in_a_build_with_warnings_as_errors()
    {
        var problems = await Check($"{Fence}csharp\nstring? name = null;\nConsole.WriteLine(name.Length);\n{Fence}");
        Assert.Contains(problems, p => p.Line == 3 && p.Message.StartsWith("warning CS8602", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_snippet_the_guardedai_analyzers_reject_fails_and_their_warnings_do_not()
    {
        var markdown = $$"""
            {{Fence}}csharp
            using GuardedAI;
            using GuardedAI.Simulation;
            using Microsoft.Extensions.AI;

            IChatClient inner = new SimulatedChatClient("gpt-4o-mini");
            var fine = new ChatClientBuilder(inner).UseBudget("support").UseFunctionInvocation().Build();   // "fine"?
            await inner.GetResponseAsync("an unguarded call: GAI001, a warning the docs may show");
            {{Fence}}
            """;
        var problem = Assert.Single(await Check(markdown));
        Assert.Equal(7, problem.Line);
        Assert.StartsWith("error GAI011", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fragment_is_skipped_on_purpose()
    {
        Assert.Empty(await Check($"{Fence}csharp fragment\nthis is not C#\n{Fence}\n\n{Fence}json fragment\n\"Budgets\": {{ }}\n{Fence}"));
    }

    [Fact]
    public async Task A_continued_block_compiles_with_the_blocks_before_it_and_maps_its_own_lines()
    {
        var markdown = $"""
            {Fence}csharp
            using GuardedAI;

            var engine = new BudgetEngine();
            {Fence}

            Some prose.

            {Fence}csharp continued
            Console.WriteLine(engine.Ledger is null);
            Console.WriteLine(undefinedName);
            {Fence}
            """;
        var problem = Assert.Single(await Check(markdown));
        Assert.Equal(11, problem.Line);
        Assert.Contains("undefinedName", problem.Message, StringComparison.Ordinal);

        var orphan = Assert.Single(await Check($"{Fence}csharp continued\nConsole.WriteLine(1);\n{Fence}"));
        Assert.Contains("no compiled C# block comes before it", orphan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generated_typed_client_is_available_to_the_snippet()
    {
        var markdown = $$"""
            {{Fence}}csharp
            using GuardedAI;
            using GuardedAI.Simulation;

            IBot bot = IBot.Create(new SimulatedChatClient("gpt-4o-mini"), new BudgetEngine());
            Console.WriteLine(await bot.AnswerAsync("hi"));

            [LlmBudget("bot", Model = "gpt-4o-mini", DailyRequests = 10)]
            public partial interface IBot
            {
                [LlmPrompt("Answer: {question}")]
                Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);
            }
            {{Fence}}
            """;
        Assert.Empty(await Check(markdown));
    }

    [Fact]
    public async Task A_configuration_with_an_unknown_key_fails_naming_the_block_and_the_key()
    {
        var markdown = $$"""
            Text.

            {{Fence}}json
            { "GuardedAI": { "Budgets": { "bot": { "DailyCostLimit": 5 } } } }
            {{Fence}}
            """;
        var problem = Assert.Single(await Check(markdown));
        Assert.Equal(3, problem.Line);
        Assert.Contains("GuardedAI:Budgets:bot:DailyCostLimit", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_configuration_loads_and_json_without_a_GuardedAI_section_is_only_parsed()
    {
        var valid = $$"""
            {{Fence}}json
            { "GuardedAI": { "Budgets": { "bot": { "Model": "gpt-4o-mini", "DailyCostUsd": 5 } }, "Sqlite": { "Path": "x.db" } } }
            {{Fence}}

            {{Fence}}json
            { "Logging": { "LogLevel": { "Default": "Information" } } }
            {{Fence}}
            """;
        Assert.Empty(await Check(valid));
        var broken = Assert.Single(await Check($"{Fence}json\n{{ \"a\": 1,,\n}}\n{Fence}"));
        Assert.Contains("not valid JSON", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_block_without_a_language_or_a_fence_never_closed_is_a_problem()
    {
        var unnamed = Assert.Single(await Check($"Intro\n\n{Fence}\nvar x = 1;\n{Fence}"));
        Assert.Equal(3, unnamed.Line);
        Assert.Contains("names no language", unnamed.Message, StringComparison.Ordinal);

        var unclosed = Assert.Single(await Check($"{Fence}csharp\nvar x = 1;\n"));
        Assert.Contains("never closed", unclosed.Message, StringComparison.Ordinal);
    }
}

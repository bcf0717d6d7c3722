using System.Collections.Immutable;
using GuardedAI.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GuardedAI.Generator.Tests;

/// <summary>The pipeline does no work when nothing relevant changed, and regenerates when something did.</summary>
public sealed class IncrementalTests
{
    private const string Bot = """
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Cache;

        [LlmBudget("cache-bot", DailyRequests = 5)]
        public partial interface IBot
        {
            [LlmPrompt("Hello {name}")]
            Task<string> HelloAsync(string name, CancellationToken cancellationToken = default);
        }
        """;

    private const string Unrelated = """
        namespace Acme.Cache;

        public static class Helpers
        {
            public static int Twice(int value) => value * 2;
        }
        """;

    private static readonly string[] s_trackedSteps = { LlmBudgetGenerator.Steps.Parse, LlmBudgetGenerator.Steps.Interfaces };

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce();

        // Edit the unrelated file and add a new one: a different compilation, the same [LlmBudget] input.
        SyntaxTree unrelated = compilation.SyntaxTrees.Single(t => t.FilePath == "Input1.cs");
        CSharpCompilation edited = compilation
            .ReplaceSyntaxTree(unrelated, CSharpSyntaxTree.ParseText(Unrelated.Replace("value * 2", "value + value"), GeneratorHarness.ParseOptions, "Input1.cs"))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Acme.Cache; public sealed class Added { }", GeneratorHarness.ParseOptions, "Input2.cs"));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in s_trackedSteps)
        {
            ImmutableArray<IncrementalGeneratorRunStep> runs = result.TrackedSteps[step];
            Assert.NotEmpty(runs);
            Assert.All(runs.SelectMany(r => r.Outputs), output =>
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step} was {output.Reason}"));
        }

        Assert.NotEmpty(result.TrackedOutputSteps);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs), output =>
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditingThePromptRegeneratesTheSource()
    {
        // The control for the test above: a relevant edit must not be mistaken for "unchanged".
        (GeneratorDriver driver, CSharpCompilation compilation) = RunOnce();
        SyntaxTree bot = compilation.SyntaxTrees.Single(t => t.FilePath == "Input0.cs");
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(
            bot, CSharpSyntaxTree.ParseText(Bot.Replace("Hello {name}", "Goodbye {name}"), GeneratorHarness.ParseOptions, "Input0.cs"));

        GeneratorDriverRunResult run = driver.RunGenerators(edited).GetRunResult();
        GeneratorRunResult result = run.Results.Single();

        Assert.Contains(result.TrackedSteps[LlmBudgetGenerator.Steps.Interfaces].SelectMany(r => r.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Goodbye", run.GeneratedTrees.Single().GetText().ToString());
    }

    [Fact]
    public void ModelsCompareByValue()
    {
        // Two independent parses of the same source give equal models: the precondition for caching.
        static object Parse()
        {
            GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true)
                .RunGenerators(GeneratorHarness.CreateCompilation(new[] { Bot }));
            return driver.GetRunResult().Results.Single().TrackedSteps[LlmBudgetGenerator.Steps.Interfaces].Single().Outputs.Single().Value;
        }

        object first = Parse(), second = Parse();
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) RunOnce()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(new[] { Bot, Unrelated });
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().GeneratedTrees);
        return (driver, compilation);
    }
}

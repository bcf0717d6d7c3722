using System.Text;
using System.Text.Json;
using CsCheck;

namespace GuardedAI.Tests;

/// <summary>
/// Random prompts — sizes, scripts, content kinds, tools, instructions — thrown at the engine's estimate and at the
/// middleware: an estimate never shrinks when content is added, a capped count agrees with the full count about the
/// cap, and nothing but a budget denial ever comes out.
/// </summary>
public class PromptProperties
{
    private static readonly Gen<AIContent> Content = Gen.Frequency(
        (4, TokenCountingProperties.Text.Select(t => (AIContent)new TextContent(t))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new TextReasoningContent(t))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new FunctionCallContent("c1", "lookup", new Dictionary<string, object?> { ["query"] = t, ["n"] = t.Length }))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new FunctionResultContent("c1", t))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new FunctionResultContent("c1", JsonSerializer.SerializeToElement(new { rows = new[] { t, t } })))),
        (1, Gen.Int[0, 200_000].Select(n => (AIContent)new DataContent(new byte[n], "audio/wav"))),
        (1, Gen.Int[0, 5_000].Select(n => (AIContent)new DataContent(new byte[n], "image/png"))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new DataContent(Encoding.UTF8.GetBytes(t), "text/plain"))),
        (1, Gen.Const(() => (AIContent)new UriContent(new Uri("https://example.com/report.pdf"), "application/pdf"))),
        (1, TokenCountingProperties.Text.Select(t => (AIContent)new PromptShapeTests.CustomContent(t))));

    private static readonly Gen<ChatMessage> Message = Gen.Select(Gen.OneOf(ChatRole.User, ChatRole.Assistant, ChatRole.System, ChatRole.Tool), Content.List[1, 4])
        .Select((role, contents) => new ChatMessage(role, contents));

    private static readonly Gen<ChatOptions?> Options = Gen.Frequency(
        (2, Gen.Const((ChatOptions?)null)),
        (1, Gen.Select(TokenCountingProperties.Text, Gen.Bool).Select((text, tool) => (ChatOptions?)new ChatOptions
        {
            Instructions = text,
            Tools = tool ? [AIFunctionFactory.Create((string city) => "sunny", "weather", text)] : null,
        })));

    [Fact]
    public void Estimates_never_shrink_when_content_is_added_and_capped_counts_agree_about_the_cap()
    {
        var (engine, _, _) = TestEngine.Create(o => o.MaxPromptCharacters = 50_000);
        Gen.Select(Message.List[1, 5], Message, Options, Gen.Int[1, 20_000]).Sample((messages, extra, options, cap) =>
        {
            var open = BudgetPolicy.Create("open").ForModel("gpt-4o-mini").Build();
            var capped = BudgetPolicy.Create("capped").ForModel("claude-sonnet-4-5").WithMaxInputTokens(cap).Build();
            long Estimate(BudgetPolicy policy, IEnumerable<ChatMessage> prompt)
            {
                try { return engine.Estimate(policy, prompt, options).InputTokens; }
                catch (BudgetExceededException denied) when (denied.Message.Contains("characters", StringComparison.Ordinal)) { return long.MaxValue; }
            }

            var before = Estimate(open, messages);
            var after = Estimate(open, [.. messages, extra]);
            if (after < before) throw new Exception($"adding a {extra.Contents[0].GetType().Name} lowered the estimate from {before} to {after}");

            var full = Estimate(BudgetPolicy.Create("full").ForModel("claude-sonnet-4-5").Build(), messages);
            var limited = Estimate(capped, messages);
            if (full > cap != limited > cap) throw new Exception($"cap {cap}: the capped count {limited} and the full count {full} disagree");
            if (limited <= cap && limited != full) throw new Exception($"a count within the cap ({limited}) must be the full count ({full})");
        }, iter: 200, threads: 1);
    }

    [Fact]
    public async Task The_middleware_only_ever_denies_a_random_prompt_or_answers_it()
    {
        var (engine, _, _) = TestEngine.Create(o => o.MaxPromptCharacters = 50_000);
        var policy = BudgetPolicy.Create("mw").ForModel("gpt-4o-mini").WithMaxInputTokens(5_000).WithMaxOutputTokens(200).Build();
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient("gpt-4o-mini"), engine, policy);
        await Gen.Select(Message.List[1, 4], Options, Gen.Bool).SampleAsync(async (messages, options, stream) =>
        {
            try
            {
                if (stream) await foreach (var _ in client.GetStreamingResponseAsync(messages, options)) { }
                else await client.GetResponseAsync(messages, options);
            }
            catch (BudgetExceededException denied) when (denied.Kind == DenialKind.RequestCap)
            {
            }
        }, iter: 100, threads: 1);
        Assert.All(engine.Ledger.Snapshot(), r => Assert.True(r.Status is UsageStatus.Success or UsageStatus.Denied, $"{r.Status}: {r.Reason}"));
    }
}

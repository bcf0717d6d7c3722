using System.Reflection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Tests;

/// <summary>
/// A call that brings no options gets the guard's one shared instance carrying the output cap, not a new object per call.
/// Sharing is safe only while nothing writes to it: a client beneath the guard that does is caught at the next call.
/// </summary>
public class CappedOptionsTests
{
    private static BudgetPolicy Policy(int maxOutput) => BudgetPolicy.Create("bot").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).WithMaxOutputTokens(maxOutput).Build();

    [Fact]
    public async Task Calls_without_options_share_one_instance_that_carries_only_the_cap()
    {
        var (engine, _, _) = TestEngine.Create();
        var seen = new List<ChatOptions?>();
        var fake = new FakeChatClient
        {
            Respond = (_, options) => { seen.Add(options); return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")); },
            Stream = (_, options) => { seen.Add(options); return [new ChatResponseUpdate(ChatRole.Assistant, "ok")]; },
        };
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 123));

        await client.GetResponseAsync("one");
        await client.GetResponseAsync("two");
        await foreach (var _ in client.GetStreamingResponseAsync("three").ConfigureAwait(false)) { }

        Assert.Equal(3, seen.Count);
        Assert.Same(seen[0], seen[1]);
        Assert.Same(seen[0], seen[2]);
        Assert.Same(seen[0], fake.LastOptions);
        Assert.True(CappedOptions.HoldsOnly(seen[0]!, 123));
        Assert.Equal("", CappedOptions.Changed(seen[0]!, 123));
    }

    [Fact]
    public async Task A_client_that_writes_to_the_shared_options_does_not_reach_the_next_call_and_is_logged()
    {
        var log = new LogEvents();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));
        var (engine, _, _) = TestEngine.Create(o => o.LoggerFactory = factory);
        var seen = new List<ChatOptions>();
        var fake = new FakeChatClient
        {
            Respond = (_, options) =>
            {
                seen.Add(options!);
                // A misbehaving middleware: it changes what it was given instead of a clone of it.
                if (seen.Count == 1)
                {
                    options!.Temperature = 1.5f;
                    options.Tools = [AIFunctionFactory.Create(() => "x", "tool")];
                }
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"));
            },
        };
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 50));
        var warned = log.Next(1004);

        await client.GetResponseAsync("one");
        await client.GetResponseAsync("two");

        Assert.NotSame(seen[0], seen[1]);
        Assert.True(CappedOptions.HoldsOnly(seen[1], 50));
        Assert.Null(seen[1].Temperature);
        Assert.Null(seen[1].Tools);
        Assert.True(warned.IsCompleted);
        var message = await warned;
        Assert.Contains("bot", message);
        Assert.Contains("Temperature, Tools", message);
    }

    [Fact]
    public async Task A_client_that_raises_the_shared_cap_is_logged_and_the_next_call_has_the_cap_again()
    {
        var log = new LogEvents();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));
        var (engine, _, _) = TestEngine.Create(o => o.LoggerFactory = factory);
        var seen = new List<int?>();
        var fake = new FakeChatClient
        {
            Respond = (_, options) =>
            {
                seen.Add(options!.MaxOutputTokens);
                if (seen.Count == 1) options.MaxOutputTokens = 100_000; // the costliest write a client can make
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"));
            },
        };
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 50));
        var warned = log.Next(1004);

        await client.GetResponseAsync("one");
        await client.GetResponseAsync("two");

        Assert.Equal([50, 50], seen);
        Assert.True(warned.IsCompleted);
        Assert.Contains("set: MaxOutputTokens", await warned);
    }

    [Fact]
    public void Every_settable_property_of_ChatOptions_is_checked()
    {
        // A property Microsoft.Extensions.AI adds later, and HoldsOnly does not look at, would let a write to it reach other
        // calls: each property set alone must make the check fail. A type this test cannot make a value for fails it too.
        var properties = typeof(ChatOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.True(properties.Count >= 20, $"only {properties.Count} properties found");
        foreach (var property in properties)
        {
            var options = new ChatOptions { MaxOutputTokens = 10 };
            property.SetValue(options, property.Name == nameof(ChatOptions.MaxOutputTokens) ? 11 : NonDefault(property.PropertyType, property.Name));
            Assert.False(CappedOptions.HoldsOnly(options, 10), $"ChatOptions.{property.Name} set, yet the options count as holding only the cap");
            Assert.Equal(property.Name, CappedOptions.Changed(options, 10));
        }
        Assert.True(CappedOptions.HoldsOnly(new ChatOptions { MaxOutputTokens = 10 }, 10));
    }

    private static object NonDefault(Type type, string name)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string)) return "x";
        if (underlying == typeof(float)) return 0.5f;
        if (underlying == typeof(int)) return 3;
        if (underlying == typeof(long)) return 3L;
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(AdditionalPropertiesDictionary)) return new AdditionalPropertiesDictionary();
        if (underlying == typeof(IList<AITool>)) return new List<AITool>();
        if (underlying == typeof(IList<string>)) return new List<string>();
        if (underlying == typeof(ChatResponseFormat)) return ChatResponseFormat.Json;
        if (underlying == typeof(ChatToolMode)) return ChatToolMode.Auto;
        if (underlying == typeof(Func<IChatClient, object?>)) return new Func<IChatClient, object?>(_ => null);
        if (underlying == typeof(ResponseContinuationToken)) return ResponseContinuationToken.FromBytes(new byte[] { 1 });
        if (underlying == typeof(ReasoningOptions)) return new ReasoningOptions();
        throw new InvalidOperationException($"No value for ChatOptions.{name} ({type}): add one here, and the property to CappedOptions.HoldsOnly.");
    }
}

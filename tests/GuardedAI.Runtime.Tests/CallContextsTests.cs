using GuardedAI.Engine;
using Microsoft.Extensions.AI;

namespace GuardedAI.Tests;

/// <summary>Calls that say the same about themselves share one reservation context, and each still gets exactly what
/// it said; the conversations' and runs' counter scopes are joined once and read back the same.</summary>
public class CallContextsTests
{
    [Fact]
    public void Calls_for_the_same_tenant_and_conversation_share_one_context_that_says_exactly_that()
    {
        var contexts = new CallContexts("openai");

        var acme = contexts.For("acme", null, null, null);
        // The same texts in other instances (a tenant read from each request) find the same context.
        Assert.Same(acme, contexts.For(new string("acme".AsSpan()), null, "", null));
        Assert.Equal(new ReservationContext { Tenant = "acme", Provider = "openai" }, acme);

        var inConversation = contexts.For("acme", null, "c-1", null);
        Assert.Same(inConversation, contexts.For("acme", null, new string("c-1".AsSpan()), null));
        Assert.Equal(new ReservationContext { Tenant = "acme", Provider = "openai", ConversationId = "c-1" }, inConversation);

        var conversationAlone = contexts.For(null, null, "c-1", null);
        Assert.Equal(new ReservationContext { Provider = "openai", ConversationId = "c-1" }, conversationAlone);
        Assert.Equal(new ReservationContext { Tenant = "globex", Provider = "openai", ConversationId = "c-1" }, contexts.For("globex", null, "c-1", null));
        Assert.Equal(4, contexts.Count);

        // Nothing of its own: the guard's plain context, which is not held among the shared ones.
        var plain = contexts.For(null, null, null, null);
        Assert.Same(plain, contexts.For(null, null, "", null));
        Assert.Equal(new ReservationContext { Provider = "openai" }, plain);
        Assert.Equal(4, contexts.Count);
    }

    [Fact]
    public void Tags_a_downgrade_and_a_run_make_a_context_of_the_calls_own()
    {
        var contexts = new CallContexts("openai");
        var tags = new Dictionary<string, string> { ["feature"] = "search" };

        var tagged = contexts.For("acme", tags, null, null);
        Assert.Same(tags, tagged.Tags);
        Assert.NotSame(tagged, contexts.For("acme", tags, null, null));

        var degraded = contexts.For("acme", null, null, "gpt-4o");
        Assert.Equal("gpt-4o", degraded.DegradedFrom);
        Assert.NotSame(degraded, contexts.For("acme", null, null, "gpt-4o"));

        using (BudgetScope.BeginRun("run-7"))
        {
            var inRun = contexts.For("acme", null, null, null);
            Assert.Equal("run-7", inRun.RunId);
            Assert.Equal("acme", inRun.Tenant);
        }
        // None of them was kept, and the tenant's shared context has no run.
        Assert.Equal(0, contexts.Count);
        Assert.Null(contexts.For("acme", null, null, null).RunId);
    }

    [Fact]
    public void An_ambient_conversation_is_the_calls_when_it_names_none()
    {
        var contexts = new CallContexts(null);
        using (BudgetScope.BeginConversation("support-42"))
        {
            Assert.Equal("support-42", contexts.For("acme", null, null, null).ConversationId);
            Assert.Equal("support-42", contexts.For(null, null, null, null).ConversationId);
            // The call's own conversation comes first.
            Assert.Equal("c-1", contexts.For("acme", null, "c-1", null).ConversationId);
        }
        Assert.Null(contexts.For("acme", null, null, null).ConversationId);
        Assert.Null(contexts.For(null, null, null, null).ConversationId);
    }

    [Fact]
    public void The_contexts_held_stay_bounded_however_many_tenants_call()
    {
        var contexts = new CallContexts("p");
        for (var i = 0; i < 3 * CallContexts.Capacity; i++)
        {
            var tenant = "tenant-" + i;
            var context = contexts.For(tenant, null, "c-" + (i % 7), null);
            Assert.Equal(tenant, context.Tenant);
            Assert.Equal("c-" + (i % 7), context.ConversationId);
            Assert.True(contexts.Count <= CallContexts.Capacity, $"{contexts.Count} contexts held after {i + 1} tenants");
        }
    }

    [Fact]
    public async Task Interleaved_tenants_and_conversations_are_each_charged_and_recorded_as_their_own()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithMaxOutputTokens(50)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 2).Build();
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);
        ChatOptions For(string tenant, string conversation) =>
            new() { ConversationId = conversation, AdditionalProperties = new() { [BudgetChatClient.TenantKey] = tenant } };

        foreach (var (tenant, conversation) in new[] { ("acme", "a-1"), ("globex", "g-1"), ("acme", "a-2"), ("globex", "g-1"), ("acme", "a-1") })
            await client.GetResponseAsync("hello", For(tenant, conversation));

        // g-1 and a-1 have had their two requests; a-2 one.
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello", For("globex", "g-1")));
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello", For("acme", "a-1")));
        await client.GetResponseAsync("hello", For("acme", "a-2"));

        var records = engine.Ledger.Snapshot().Where(r => r.Status == UsageStatus.Success).Select(r => (r.Tenant, r.ConversationId)).ToList();
        Assert.Equal([("acme", "a-1"), ("globex", "g-1"), ("acme", "a-2"), ("globex", "g-1"), ("acme", "a-1"), ("acme", "a-2")], records);
    }

    [Fact]
    public void A_scope_name_is_joined_once_and_reads_as_before()
    {
        var names = new ScopeNames();
        var conversation = names.Of("chat", BudgetWindow.Conversation, "c-1");
        Assert.Equal("conversation:chat:c-1", conversation);
        Assert.Same(conversation, names.Of(new string("chat".AsSpan()), BudgetWindow.Conversation, new string("c-1".AsSpan())));
        Assert.Equal("run:chat:c-1", names.Of("chat", BudgetWindow.Run, "c-1"));
        Assert.Equal("conversation:chat2:c-1", names.Of("chat2", BudgetWindow.Conversation, "c-1"));
        Assert.Equal("conversation:chat:c-2", names.Of("chat", BudgetWindow.Conversation, "c-2"));

        for (var i = 0; i < 2 * ScopeNames.Capacity; i++)
        {
            Assert.Equal("run:r:" + i, names.Of("r", BudgetWindow.Run, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(names.Count <= ScopeNames.Capacity);
        }
    }
}

using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>GAI001 on Microsoft Agent Framework agents: an agent run is guarded exactly when the agent's chat client is.</summary>
public class AgentEntryPointTests
{
    private const string Usings = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Agents.AI;
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;
        using GuardedAI;

        """;

    [Fact]
    public Task AgentOverLocalClient_UnguardedPipelineIsReported_GuardedPipelineIsNot() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner)
            {
                var plain = new ChatClientBuilder(inner).UseFunctionInvocation().Build();
                var agent = new ChatClientAgent(plain, "You are helpful.");
                await {|#0:agent.RunAsync("hi")|};
                await foreach (var update in {|#1:agent.RunStreamingAsync("hi")|}) { }

                var guarded = new ChatClientBuilder(inner).UseBudget("agents").UseFunctionInvocation().Build();
                var ok = new ChatClientAgent(guarded, instructions: "You are helpful.");
                await ok.RunAsync("hi");
                await foreach (var update in ok.RunStreamingAsync("hi")) { }
                AIAgent asBase = ok;
                await asBase.RunAsync("hi");
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("AIAgent.RunAsync", "'agent' is built on 'plain', which is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1)
            .WithArguments("AIAgent.RunStreamingAsync", "'agent' is built on 'plain', which is built by a ChatClientBuilder pipeline that never calls UseBudget"));

    [Fact]
    public Task AgentHelpers_AsAIAgent_BuildAIAgent_AndAgentPipelines_FollowTheirClient() => Verify.VerifyAsync(Usings + """
        #pragma warning disable MAAI001 // AsIChatClient is marked for evaluation
        class C
        {
            async Task M(IChatClient inner)
            {
                IChatClient guarded = inner.AsBuilder().UseBudget("agents").Build();
                AIAgent viaAsAIAgent = guarded.AsAIAgent(instructions: "x");
                await viaAsAIAgent.RunAsync("hi");
                var viaBuildAIAgent = new ChatClientBuilder(inner).UseBudget("agents").BuildAIAgent(instructions: "x");
                await viaBuildAIAgent.RunAsync("hi");
                var decorated = viaAsAIAgent.AsBuilder().Build();
                await decorated.RunAsync("hi");
                var chatOverAgent = viaAsAIAgent.AsIChatClient();
                await chatOverAgent.GetResponseAsync("hi");

                var unbudgeted = new ChatClientBuilder(inner).UseFunctionInvocation().BuildAIAgent(instructions: "x");
                await {|#0:unbudgeted.RunAsync("hi")|};
                var overParameter = inner.AsAIAgent(instructions: "x");
                var decoratedPlain = overParameter.AsBuilder().Build();
                await {|#1:decoratedPlain.RunAsync("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("AIAgent.RunAsync", "'unbudgeted' is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1)
            .WithArguments("AIAgent.RunAsync", "'decoratedPlain' is built on parameter 'inner', which the analysis does not trace to its callers"));

    [Fact]
    public Task AgentOverGeneratedClient_IsGuarded() => Verify.VerifyWithGeneratorAsync(Usings + """
        [LlmBudget("support")]
        partial interface ISupportBot : IChatClient { }

        class C
        {
            async Task M(ISupportBot bot)
            {
                var agent = new ChatClientAgent(bot, "You are Acme's support agent.");
                await agent.RunAsync("Where is my order?");
                await bot.AsAIAgent().RunAsync("hi");
            }
        }
        """);

    private const string AgentServices = """
        class Worker(AIAgent agent)
        {
            public Task<AgentResponse> Run() => {|#0:agent.RunAsync("hi")|};
        }

        class Bot
        {
            private readonly AIAgent _agent;
            public Bot(IChatClient chat) => _agent = new ChatClientAgent(chat, "You are helpful.");
            public Task<AgentResponse> Run() => {|#1:_agent.RunAsync("hi")|};
        }
        """;

    [Fact]
    public Task AgentThroughDependencyInjection_GuardedRegistrations_AreNotReported() => Verify.VerifyAsync(Usings + """
        class Startup
        {
            void Configure(IServiceCollection services, IChatClient inner)
            {
                services.AddChatClient(inner).UseFunctionInvocation().UseBudget("app");
                services.AddSingleton<AIAgent>(sp => sp.GetRequiredService<IChatClient>().AsAIAgent(instructions: "x"));
            }
        }

        """ + AgentServices.Replace("{|#0:", "").Replace("{|#1:", "").Replace(")|}", ")"));

    [Fact]
    public Task AgentThroughDependencyInjection_UnguardedRegistration_IsReportedWithTheRegistration() => Verify.VerifyAsync(Usings + """
        class Startup
        {
            void Configure(IServiceCollection services, IChatClient inner)
            {
                services.AddChatClient(inner).UseLogging();
                services.AddSingleton<AIAgent>(sp => sp.GetRequiredService<IChatClient>().AsAIAgent(instructions: "x"));
            }
        }

        """ + AgentServices,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("AIAgent.RunAsync", "'agent' comes from dependency injection, and the AIAgent registration at Test0.cs(15) does not run on a budgeted IChatClient"),
        Verify.Diagnostic("GAI001").WithLocation(1)
            .WithArguments("AIAgent.RunAsync", "'_agent' is built on 'chat', which comes from dependency injection, and the IChatClient registration at Test0.cs(14) does not go through UseBudget"));

    [Fact]
    public Task AgentDecorators_ForwardingToTheInnerAgent_AreNotReported() => Verify.VerifyAsync(Usings + """
        sealed class AuditingAgent(AIAgent inner) : DelegatingAIAgent(inner)
        {
            protected override Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
                => InnerAgent.RunAsync(messages, session, options, cancellationToken);
        }

        class User
        {
            async Task M(IChatClient inner)
            {
                var guarded = new ChatClientAgent(inner.AsBuilder().UseBudget("b").Build());
                await new AuditingAgent(guarded).RunAsync("hi");
                var plain = new ChatClientAgent(inner);
                await {|#0:new AuditingAgent(plain).RunAsync("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("AIAgent.RunAsync", "'new AuditingAgent(plain)' is built on parameter 'inner', which the analysis does not trace to its callers"));

    [Fact]
    public Task AgentCodeFixTarget_IsTheBuildOfTheAgentsPipeline() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, GuardedAI.CodeFixes.AddUseBudgetCodeFixProvider>.VerifyAsync(Usings + """
            class C
            {
                async Task M(IChatClient inner)
                {
                    var client = {|#2:new ChatClientBuilder(inner).UseFunctionInvocation().Build|}();
                    var agent = new ChatClientAgent(client, "You are helpful.");
                    await {|#0:agent.RunAsync("hi")|};
                    var built = {|#3:new ChatClientBuilder(inner).BuildAIAgent|}(instructions: "x");
                    await {|#1:built.RunAsync("hi")|};
                }
            }
            """, Usings + """
            class C
            {
                async Task M(IChatClient inner)
                {
                    var client = new ChatClientBuilder(inner).UseFunctionInvocation().UseBudget("default").Build();
                    var agent = new ChatClientAgent(client, "You are helpful.");
                    await agent.RunAsync("hi");
                    var built = new ChatClientBuilder(inner).UseBudget("default").BuildAIAgent(instructions: "x");
                    await built.RunAsync("hi");
                }
            }
            """, 0,
            new Microsoft.CodeAnalysis.Testing.DiagnosticResult("GAI001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(0).WithLocation(2),
            new Microsoft.CodeAnalysis.Testing.DiagnosticResult("GAI001", Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).WithLocation(1).WithLocation(3));

    /// <summary>
    /// Microsoft.Agents.AI.OpenAI's <c>RunAsync(this AIAgent, IEnumerable&lt;OpenAI.Chat.ChatMessage&gt;)</c> and an agent
    /// subclass's own RunAsync overloads (both seen in the framework's samples) forward to the agent's run: the forwarding
    /// inside is not reported, the call that uses them is.
    /// </summary>
    [Fact]
    public Task OverloadsOfAgentRuns_InExtensionsAndSubclasses_AreEntryPoints_TheirForwardingIsNot() => Verify.VerifyAsync(Usings + """
        public sealed record Prompt(string Text);

        public static class PromptAgentExtensions
        {
            public static Task<AgentResponse> RunAsync(this AIAgent agent, Prompt prompt) => agent.RunAsync(prompt.Text);
        }

        public sealed class PromptAgent(AIAgent inner) : DelegatingAIAgent(inner)
        {
            public Task<AgentResponse> RunAsync(Prompt prompt) => this.RunAsync(prompt.Text);
        }

        class User
        {
            async Task M(IChatClient inner)
            {
                var plain = new ChatClientAgent(new ChatClientBuilder(inner).Build());
                await {|#0:plain.RunAsync(new Prompt("hi"))|};
                await {|#1:new PromptAgent(plain).RunAsync(new Prompt("hi"))|};

                var guarded = new ChatClientAgent(new ChatClientBuilder(inner).UseBudget("b").Build());
                await guarded.RunAsync(new Prompt("hi"));
                await new PromptAgent(guarded).RunAsync(new Prompt("hi"));
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("AIAgent.RunAsync", "'plain' is built on a client that is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1)
            .WithArguments("PromptAgent.RunAsync", "'new PromptAgent(plain)' is built on a client that is built by a ChatClientBuilder pipeline that never calls UseBudget"));
}

using System.Threading.Tasks;
using GuardedAI.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

public class CodeFixTests
{
    private static DiagnosticResult Gai001(int location, int build) =>
        new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(location).WithLocation(build);

    [Fact]
    public Task AddUseBudget_InsertsBeforeBuild_AndAddsTheUsing() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, AddUseBudgetCodeFixProvider>.VerifyAsync("""
            using System.Threading.Tasks;
            using Microsoft.Extensions.AI;

            class C
            {
                async Task M(IChatClient inner)
                {
                    var client = {|#1:new ChatClientBuilder(inner)
                        .UseFunctionInvocation()
                        .Build|}();
                    await {|#0:client.GetResponseAsync("hi")|};
                    await {|#2:client.GetStreamingResponseAsync("again")|}.GetAsyncEnumerator().MoveNextAsync();
                    var other = {|#4:inner.AsBuilder().Build|}();
                    await {|#3:other.GetResponseAsync("x")|};
                }
            }
            """, """
            using System.Threading.Tasks;
            using GuardedAI;
            using Microsoft.Extensions.AI;

            class C
            {
                async Task M(IChatClient inner)
                {
                    var client = new ChatClientBuilder(inner)
                        .UseFunctionInvocation()
                        .UseBudget("default")
                        .Build();
                    await client.GetResponseAsync("hi");
                    await client.GetStreamingResponseAsync("again").GetAsyncEnumerator().MoveNextAsync();
                    var other = inner.AsBuilder().UseBudget("default").Build();
                    await other.GetResponseAsync("x");
                }
            }
            """, 0,
            Gai001(0, 1), Gai001(2, 1), Gai001(3, 4));

    [Fact]
    public Task AddUseBudget_FixesAFieldAssignedInTheConstructor() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, AddUseBudgetCodeFixProvider>.VerifyAsync("""
            using GuardedAI;
            using Microsoft.Extensions.AI;
            using System.Threading.Tasks;

            class Service
            {
                private readonly IChatClient _chat;
                public Service(IChatClient inner) => _chat = {|#1:inner.AsBuilder().UseLogging().Build|}();
                public Task<ChatResponse> Ask() => {|#0:_chat.GetResponseAsync("hi")|};
            }
            """, """
            using GuardedAI;
            using Microsoft.Extensions.AI;
            using System.Threading.Tasks;

            class Service
            {
                private readonly IChatClient _chat;
                public Service(IChatClient inner) => _chat = inner.AsBuilder().UseLogging().UseBudget("default").Build();
                public Task<ChatResponse> Ask() => _chat.GetResponseAsync("hi");
            }
            """, 0, compilationEnd: true, Gai001(0, 1));

    [Fact]
    public Task AllowUnguarded_AnnotatesTheMember_FixAllOncePerMember() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, AddAllowUnguardedCodeFixProvider>.VerifyAsync("""
            using System.Threading.Tasks;
            using Microsoft.Extensions.AI;

            class C
            {
                // Evaluates prompts offline.
                async Task Evaluate(IChatClient client)
                {
                    await {|#0:client.GetResponseAsync("a")|};
                    await {|#1:client.GetResponseAsync("b")|};
                }

                [System.Obsolete]
                Task<ChatResponse> Old(IChatClient client) => {|#2:client.GetResponseAsync("c")|};
            }
            """, """
            using System.Threading.Tasks;
            using GuardedAI;
            using Microsoft.Extensions.AI;

            class C
            {
                // Evaluates prompts offline.
                [AllowUnguardedLlmCalls("TODO: explain why this call may bypass the budget")]
                async Task Evaluate(IChatClient client)
                {
                    await client.GetResponseAsync("a");
                    await client.GetResponseAsync("b");
                }

                [System.Obsolete]
                [AllowUnguardedLlmCalls("TODO: explain why this call may bypass the budget")]
                Task<ChatResponse> Old(IChatClient client) => client.GetResponseAsync("c");
            }
            """, 0,
            new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(0),
            new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(1),
            new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(2));

    /// <summary>An SDK helper no budget can wrap: the justification fix is offered, the UseBudget fix is not.</summary>
    [Fact]
    public Task AllowUnguarded_IsOfferedForTheAnthropicToolRunner() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, AddAllowUnguardedCodeFixProvider>.VerifyAsync("""
            using System.Collections.Generic;
            using Anthropic;
            using Anthropic.Helpers.Beta;

            class Tools
            {
                BetaToolRunner Start(AnthropicClient client, Anthropic.Models.Beta.Messages.MessageCreateParams request, IReadOnlyList<IBetaRunnableTool> tools) =>
                    {|#0:client.Beta.Messages.ToolRunner(request, tools)|};
            }
            """, """
            using System.Collections.Generic;
            using Anthropic;
            using Anthropic.Helpers.Beta;
            using GuardedAI;

            class Tools
            {
                [AllowUnguardedLlmCalls("TODO: explain why this call may bypass the budget")]
                BetaToolRunner Start(AnthropicClient client, Anthropic.Models.Beta.Messages.MessageCreateParams request, IReadOnlyList<IBetaRunnableTool> tools) =>
                    client.Beta.Messages.ToolRunner(request, tools);
            }
            """, 0,
            new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(0));

    [Fact]
    public Task AddUseBudget_IsNotOffered_WhenNoPipelineCanTakeIt() =>
        CodeFixVerifier<UnguardedLlmCallAnalyzer, AddUseBudgetCodeFixProvider>.VerifyAsync("""
            using System.Threading.Tasks;
            using Microsoft.SemanticKernel;

            class C
            {
                async Task M()
                {
                    var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("gpt-4o-mini", "key").Build();
                    await {|#0:kernel.InvokePromptAsync("hi")|};
                }
            }
            """, """
            using System.Threading.Tasks;
            using Microsoft.SemanticKernel;

            class C
            {
                async Task M()
                {
                    var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("gpt-4o-mini", "key").Build();
                    await {|#0:kernel.InvokePromptAsync("hi")|};
                }
            }
            """, 0, compilationEnd: true,
            new DiagnosticResult("GAI001", DiagnosticSeverity.Warning).WithLocation(0));

    [Fact]
    public Task MakePartial_AddsTheModifier() =>
        CodeFixVerifier<BudgetInterfaceAnalyzer, MakeInterfacePartialCodeFixProvider>.VerifyAsync("""
            using GuardedAI;

            [LlmBudget("a")]
            interface {|#0:IFirst|} { }

            [LlmBudget("b")]
            public interface {|#1:ISecond|} { }
            """, """
            using GuardedAI;

            [LlmBudget("a")]
            partial interface IFirst { }

            [LlmBudget("b")]
            public partial interface ISecond { }
            """, 0,
            new DiagnosticResult("GAI004", DiagnosticSeverity.Error).WithLocation(0).WithArguments("IFirst"),
            new DiagnosticResult("GAI004", DiagnosticSeverity.Error).WithLocation(1).WithArguments("ISecond"));
}

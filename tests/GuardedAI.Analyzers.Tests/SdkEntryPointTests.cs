using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// GAI001 on provider SDK helpers no budget can wrap (Anthropic's tool runner, threads, batches and managed-agent sessions;
/// OpenAI's Responses, Assistants and Realtime clients): every call is reported with what to do instead, and the SDK's own
/// forwarding calls are not.
/// </summary>
public class SdkEntryPointTests
{
    private const string Usings = """
        #nullable enable
        #pragma warning disable OPENAI001, OPENAI002 // Assistants and Realtime are marked experimental
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Anthropic;
        using Anthropic.Helpers.Beta;
        using GuardedAI;

        """;

    private const string AnthropicAdvice = "call it as an IChatClient (client.AsIChatClient(model)) through a pipeline with UseBudget";
    private const string NoGuard = "justify the call with [AllowUnguardedLlmCalls(\"why\")]";

    [Fact]
    public Task AnthropicToolRunnerThreadsBatchesAndSessions_AreReported() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(AnthropicClient client, Anthropic.Models.Beta.Messages.MessageCreateParams request,
                IReadOnlyList<IBetaRunnableTool> tools, Anthropic.Models.Beta.Sessions.Events.EventSendParams sessionEvent,
                Anthropic.Models.Messages.Batches.BatchCreateParams batch)
            {
                var runner = {|#0:client.Beta.Messages.ToolRunner(request, tools)|};
                await foreach (var message in runner) { }
                await {|#1:client.Beta.Sessions.Events.Send(sessionEvent)|};
                await {|#2:client.Messages.Batches.Create(batch)|};
            }

            [AllowUnguardedLlmCalls("a one-off migration script, run by hand with its own provider-side spend limit")]
            async Task Justified(AnthropicClient client, Anthropic.Models.Beta.Messages.MessageCreateParams request, IReadOnlyList<IBetaRunnableTool> tools)
            {
                await client.Beta.Messages.ToolRunner(request, tools).RunUntilDoneAsync();
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IMessageService.ToolRunner",
            "'client.Beta.Messages' is an IMessageService (Anthropic), which no GuardedAI budget wraps; run the tools with UseFunctionInvocation over a budgeted IChatClient (client.AsIChatClient(model) with UseBudget)"),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("IEventService.Send",
            "'client.Beta.Sessions.Events' is an IEventService (Anthropic), which no GuardedAI budget wraps; " + NoGuard),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("IBatchService.Create",
            "'client.Messages.Batches' is an IBatchService (Anthropic), which no GuardedAI budget wraps; " + NoGuard));

    [Fact]
    public Task AnthropicBetaMessageThreads_SendAndToolRunner_AreReported_ReadingMessagesIsNot() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(BetaMessageThread thread, Anthropic.Models.Beta.Messages.BetaMessageParam message, IReadOnlyList<IBetaRunnableTool> tools)
            {
                await {|#0:thread.Send(message)|};
                await foreach (var update in {|#1:thread.SendStreaming(message)|}) { }
                var runner = {|#2:thread.ToolRunner(tools)|};
                var last = thread.LastMessage;   // reads what was already received
                thread.Append(message);           // queues, calls no model
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("BetaMessageThread.Send", "'thread' is a BetaMessageThread (Anthropic), which no GuardedAI budget wraps; " + AnthropicAdvice),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("BetaMessageThread.SendStreaming", "'thread' is a BetaMessageThread (Anthropic), which no GuardedAI budget wraps; " + AnthropicAdvice),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("BetaMessageThread.ToolRunner",
            "'thread' is a BetaMessageThread (Anthropic), which no GuardedAI budget wraps; run the tools with UseFunctionInvocation over a budgeted IChatClient (client.AsIChatClient(model) with UseBudget)"));

    [Fact]
    public Task AnthropicThroughIChatClient_WithABudget_IsNotReported() => Verify.VerifyAsync(Usings + """
        using Microsoft.Extensions.AI;
        class C
        {
            async Task M(AnthropicClient client)
            {
                var chat = client.AsIChatClient("claude-sonnet-4-5").AsBuilder().UseFunctionInvocation().UseBudget("claude").Build();
                await chat.GetResponseAsync("hi");
                var unbudgeted = client.AsIChatClient("claude-sonnet-4-5");
                await {|#0:unbudgeted.GetResponseAsync("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IChatClient.GetResponseAsync", "'unbudgeted' is a plain IChatClient, not a budgeted client"));

    [Fact]
    public Task OpenAIResponsesAssistantsAndRealtime_AreReported() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(OpenAI.Responses.ResponsesClient responses, OpenAI.Assistants.AssistantClient assistants, OpenAI.Realtime.RealtimeClient realtime)
            {
                await {|#0:responses.CreateResponseAsync("gpt-4o-mini", "hi")|};
                await {|#1:assistants.CreateRunAsync("thread", "assistant")|};
                await {|#2:assistants.CreateThreadAndRunAsync("assistant")|};
                using var session = await {|#3:realtime.StartConversationSessionAsync("gpt-realtime")|};
                await {|#4:session.StartResponseAsync()|};
                await assistants.GetAssistantAsync("assistant"); // reads, calls no model
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("ResponsesClient.CreateResponseAsync",
            "'responses' is a ResponsesClient (OpenAI), which no GuardedAI budget wraps; call it as an IChatClient (AsIChatClient()) through a pipeline with UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("AssistantClient.CreateRunAsync", "'assistants' is an AssistantClient (OpenAI), which no GuardedAI budget wraps; " + NoGuard),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("AssistantClient.CreateThreadAndRunAsync", "'assistants' is an AssistantClient (OpenAI), which no GuardedAI budget wraps; " + NoGuard),
        Verify.Diagnostic("GAI001").WithLocation(3).WithArguments("RealtimeClient.StartConversationSessionAsync", "'realtime' is a RealtimeClient (OpenAI), which no GuardedAI budget wraps; " + NoGuard),
        Verify.Diagnostic("GAI001").WithLocation(4).WithArguments("RealtimeSessionClient.StartResponseAsync", "'session' is a RealtimeSessionClient (OpenAI), which no GuardedAI budget wraps; " + NoGuard));

    // An SDK of its own (a catalogue type the referenced OpenAI package no longer has), with a helper that forwards to it.
    private const string SdkSource = """
        using System.Threading.Tasks;
        namespace OpenAI.Responses
        {
            public class OpenAIResponseClient
            {
                public virtual Task<string> CreateResponseAsync(string input) => Task.FromResult(input);
            }

            public static class ResponseHelpers
            {
                public static Task<string> AskAsync(this OpenAIResponseClient client, string input) => client.CreateResponseAsync(input);
            }
        }
        """;

    [Fact]
    public Task SdkOwnCode_ForwardingToItsEntryPoints_IsNotReported() => Verify.VerifyAsync(SdkSource);

    [Fact]
    public async Task SdkUsedFromAnotherProject_IsReported()
    {
        var test = new CSharpAnalyzerTest<UnguardedLlmCallAnalyzer, DefaultVerifier>();
        AnalyzerVerifier<UnguardedLlmCallAnalyzer>.Configure(test.TestState, new[] { """
            using System.Threading.Tasks;
            class User
            {
                Task<string> M(OpenAI.Responses.OpenAIResponseClient client) => {|#0:client.CreateResponseAsync("hi")|};
            }
            """ });
        var sdk = new ProjectState("FakeSdk", Microsoft.CodeAnalysis.LanguageNames.CSharp, "/1/Sdk", "cs");
        sdk.Sources.Add(("/1/Sdk.cs", SdkSource));
        test.TestState.AdditionalProjects.Add("FakeSdk", sdk);
        test.TestState.AdditionalProjectReferences.Add("FakeSdk");
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("OpenAIResponseClient.CreateResponseAsync",
            "'client' is an OpenAIResponseClient (FakeSdk), which no GuardedAI budget wraps; call it as an IChatClient (AsIChatClient()) through a pipeline with UseBudget"));
        await test.RunAsync(CancellationToken.None);
    }
}

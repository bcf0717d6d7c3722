using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// GAI001 on Semantic Kernel: prompt invocation and chat completion are guarded exactly when every chat service registered
/// for kernels (IChatClient or IChatCompletionService) is a budgeted IChatClient.
/// </summary>
public class SemanticKernelEntryPointTests
{
    private const string Usings = """
        #nullable enable
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.SemanticKernel;
        using Microsoft.SemanticKernel.ChatCompletion;
        using GuardedAI;

        """;

    [Fact]
    public Task KernelOverAGuardedChatClient_IsNotReported() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner)
            {
                var builder = Kernel.CreateBuilder();
                builder.Services.AddChatClient(inner).UseFunctionInvocation().UseBudget("kernel");
                var kernel = builder.Build();
                await kernel.InvokePromptAsync("What does a budget do?");
                await foreach (var update in kernel.InvokePromptStreamingAsync("Stream it")) { }

                var chat = kernel.GetRequiredService<IChatCompletionService>();
                await chat.GetChatMessageContentAsync("hi");
                var history = new ChatHistory("You are helpful.");
                await chat.GetChatMessageContentsAsync(history);

                IChatCompletionService wrapped = inner.AsBuilder().UseBudget("kernel").Build().AsChatCompletionService();
                await wrapped.GetChatMessageContentAsync("hi");
            }
        }

        class Injected(Kernel kernel)
        {
            public Task<FunctionResult> Ask(string question) => kernel.InvokePromptAsync(question);
        }
        """);

    [Fact]
    public Task KernelOverAConnectorRegistration_IsReported_WithTheRegistration() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M()
            {
                var builder = Kernel.CreateBuilder();
                builder.AddOpenAIChatCompletion("gpt-4o-mini", "key");
                var kernel = builder.Build();
                await {|#0:kernel.InvokePromptAsync("What does a budget do?")|};
                var chat = kernel.GetRequiredService<IChatCompletionService>();
                await {|#1:chat.GetChatMessageContentAsync("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("Kernel.InvokePromptAsync",
            "'kernel' runs on the chat services registered for it, and the IChatCompletionService registration at Test0.cs(13) (AddOpenAIChatCompletion) registers the provider directly, with no budget"),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("IChatCompletionService.GetChatMessageContentAsync",
            "'chat' comes from dependency injection, and the IChatCompletionService registration at Test0.cs(13) (AddOpenAIChatCompletion) registers the provider directly, with no budget"));

    [Fact]
    public Task KernelWithAnUnbudgetedChatClient_AndServicesMadeByHand_AreReported() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner, OpenAI.OpenAIClient openAi)
            {
                var builder = Kernel.CreateBuilder();
                builder.Services.AddSingleton<IChatClient>(inner.AsBuilder().UseFunctionInvocation().Build());
                var kernel = builder.Build();
                await {|#0:kernel.InvokePromptAsync("hi")|};

                var direct = new Microsoft.SemanticKernel.Connectors.OpenAI.OpenAIChatCompletionService("gpt-4o-mini", openAi);
                await {|#1:direct.GetChatMessageContentAsync("hi")|};
                IChatCompletionService overPlain = inner.AsChatCompletionService();
                await foreach (var update in {|#2:overPlain.GetStreamingChatMessageContentsAsync("hi")|}) { }
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("Kernel.InvokePromptAsync",
            "'kernel' runs on the chat services registered for it, and the IChatClient registration at Test0.cs(13) does not go through UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("IChatCompletionService.GetChatMessageContentAsync",
            "'direct' is a plain OpenAIChatCompletionService, not a budgeted client"),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("IChatCompletionService.GetStreamingChatMessageContentsAsync",
            "'overPlain' is built on parameter 'inner', which the analysis does not trace to its callers"));

    [Fact]
    public Task KernelWithNoChatService_InAnApplication_SaysNothingIsRegisteredInThisProject() => VerifyConsoleApp(Usings + """
        var kernel = Kernel.CreateBuilder().Build();
        await {|#0:kernel.InvokePromptAsync("hi")|};
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("Kernel.InvokePromptAsync",
            "'kernel' runs on the chat services registered for it, and no IChatClient or IChatCompletionService is registered in this project"));

    private static async Task VerifyConsoleApp(string source, params Microsoft.CodeAnalysis.Testing.DiagnosticResult[] expected)
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<UnguardedLlmCallAnalyzer, Microsoft.CodeAnalysis.Testing.DefaultVerifier>();
        AnalyzerVerifier<UnguardedLlmCallAnalyzer>.Configure(test.TestState, new[] { source });
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(System.Threading.CancellationToken.None);
    }
}

using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

public class UnguardedLlmCallTests
{
    private const string Usings = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using GuardedAI;

        """;

    [Fact]
    public Task BuilderChainWithoutUseBudget_IsReported_WithUseBudget_IsNot() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner)
            {
                var plain = new ChatClientBuilder(inner).UseFunctionInvocation().Build();
                await {|#0:plain.GetResponseAsync("hi")|};

                IChatClient budgeted = new ChatClientBuilder(inner).UseBudget("support").Build();
                await budgeted.GetResponseAsync("hi");

                var viaAsBuilder = inner.AsBuilder().UseBudget("support").UseFunctionInvocation().Build();
                await viaAsBuilder.GetResponseAsync(new ChatMessage(ChatRole.User, "hi"));
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'plain' is built by a ChatClientBuilder pipeline that never calls UseBudget"));

    [Fact]
    public Task PlainParameter_ExtensionStaticAndGenericForms_AreReported() => Verify.VerifyWithoutFrameworksAsync(Usings + """
        record Answer(string Text);
        class C
        {
            async Task M(IChatClient client, IList<ChatMessage> messages)
            {
                await {|#0:client.GetResponseAsync(messages)|};
                await {|#1:ChatClientExtensions.GetResponseAsync(client, "hi")|};
                await {|#2:client.GetResponseAsync<Answer>("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'client' comes from parameter 'client', which the analysis does not trace to its callers"),
        Verify.Diagnostic("GAI001").WithLocation(1),
        Verify.Diagnostic("GAI001").WithLocation(2));

    [Fact]
    public Task GuardTypes_AreNotReported() => Verify.VerifyWithGeneratorAsync(Usings + """
        // GuardedSupportBot is emitted by the real generator in this test.
        [LlmBudget("support")]
        partial interface ISupportBot : IChatClient { }

        // Recognised by its [GeneratedCode] tool name alone (not a BudgetChatClient): an older generator's output.
        [System.CodeDom.Compiler.GeneratedCode("GuardedAI.Generator", "1.0")]
        sealed class GuardedLegacyBot : DelegatingChatClient { public GuardedLegacyBot(IChatClient c) : base(c) { } }

        class C
        {
            async Task M(ISupportBot bot, BudgetChatClient budget, GuardedSupportBot generated, GuardedLegacyBot legacy, IChatClient inner, BudgetEngine engine, BudgetPolicy policy)
            {
                await bot.GetResponseAsync("hi");
                await budget.GetResponseAsync("hi");
                await generated.GetResponseAsync("hi");
                await legacy.GetResponseAsync("hi");
                IChatClient wrapped = new BudgetChatClient(inner, engine, policy);
                await wrapped.GetResponseAsync("hi");
                var used = new ChatClientBuilder(inner).Use(i => new BudgetChatClient(i, engine, policy)).Build();
                await used.GetResponseAsync("hi");
                await foreach (var update in bot.GetStreamingResponseAsync("hi")) { }
            }
        }
        """);

    [Fact]
    public Task LambdasLocalFunctionsAndAsyncIterators_AreAnalyzed() => Verify.VerifyAsync(Usings + """
        class C
        {
            async IAsyncEnumerable<string> Stream(IChatClient inner)
            {
                var client = inner.AsBuilder().Build();
                await foreach (var update in {|#0:client.GetStreamingResponseAsync("hi")|})
                    yield return update.Text;

                var guarded = inner.AsBuilder().UseBudget("b").Build();
                await foreach (var update in guarded.GetStreamingResponseAsync("hi"))
                    yield return update.Text;
            }

            void Lambdas(IChatClient inner)
            {
                var client = new ChatClientBuilder(inner).Build();
                Func<Task<ChatResponse>> ask = () => {|#1:client.GetResponseAsync("hi")|};
                async Task<ChatResponse> Local() => await {|#2:client.GetResponseAsync("hi")|};

                var guarded = new ChatClientBuilder(inner).UseBudget("b").Build();
                Func<Task<ChatResponse>> ok = () => guarded.GetResponseAsync("hi");
                async Task<ChatResponse> LocalOk() => await guarded.GetResponseAsync("hi");
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IChatClient.GetStreamingResponseAsync", "'client' is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1),
        Verify.Diagnostic("GAI001").WithLocation(2));

    [Fact]
    public Task TopLevelStatements_AreAnalyzed() => VerifyTopLevel();

    private static async Task VerifyTopLevel()
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<UnguardedLlmCallAnalyzer, Microsoft.CodeAnalysis.Testing.DefaultVerifier>();
        AnalyzerVerifier<UnguardedLlmCallAnalyzer>.Configure(test.TestState, new[] { Usings + """
            IChatClient inner = null!;
            var client = new ChatClientBuilder(inner).Build();
            Console.WriteLine(await {|#0:client.GetResponseAsync("hi")|});
            var guarded = new ChatClientBuilder(inner).UseBudget("b").Build();
            Console.WriteLine(await guarded.GetResponseAsync("hi"));
            """ });
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("GAI001").WithLocation(0));
        await test.RunAsync(System.Threading.CancellationToken.None);
    }

    [Fact]
    public Task ConditionalAccessAndMethodGroups_AreAnalyzed() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner, ChatClientBuilder? maybe)
            {
                IChatClient? client = new ChatClientBuilder(inner).Build();
                var response = await ({|#0:client?.GetResponseAsync("hi")|} ?? Task.FromResult(new ChatResponse()));

                IChatClient? guarded = new ChatClientBuilder(inner).UseBudget("b").Build();
                var ok = await (guarded?.GetResponseAsync("hi") ?? Task.FromResult(new ChatResponse()));

                Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>> ask = {|#1:client.GetResponseAsync|};
                Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>> askOk = guarded.GetResponseAsync;
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0),
        Verify.Diagnostic("GAI001").WithLocation(1));

    [Fact]
    public Task VarAndExplicitTypes_ConditionalsAndReassignment() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner, bool flag, BudgetEngine engine, BudgetPolicy policy)
            {
                IChatClient explicitType = inner.AsBuilder().UseBudget("a").Build();
                var implicitType = inner.AsBuilder().UseBudget("a").Build();
                await explicitType.GetResponseAsync("hi");
                await implicitType.GetResponseAsync("hi");

                IChatClient either = flag ? implicitType : new BudgetChatClient(inner, engine, policy);
                await either.GetResponseAsync("hi");

                IChatClient reassigned = implicitType;
                reassigned = inner;
                await {|#0:reassigned.GetResponseAsync("hi")|};

                var builder = new ChatClientBuilder(inner);
                builder.UseBudget("a");
                var fromLocalBuilder = builder.Build();
                await fromLocalBuilder.GetResponseAsync("hi");
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'reassigned' comes from parameter 'inner', which the analysis does not trace to its callers"));

    [Fact]
    public Task GenericHelpers_UseTheConstraint() => Verify.VerifyAsync(Usings + """
        [LlmBudget("support")]
        partial interface ISupportBot : IChatClient { }

        static class Helpers
        {
            public static Task<ChatResponse> Ask<TClient>(TClient client) where TClient : IChatClient => {|#0:client.GetResponseAsync("hi")|};
            public static Task<ChatResponse> AskBot<TClient>(TClient client) where TClient : ISupportBot => client.GetResponseAsync("hi");
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0));

    [Fact]
    public Task FieldsAndProperties_AssignedInPartialClassesOverFiles() => Verify.VerifyAsync(new[]
    {
        Usings + """
        partial class Service
        {
            private readonly IChatClient _guarded;
            private readonly IChatClient _plain;
            private IChatClient Guarded => _guarded;
            public IChatClient? Settable { get; set; }

            public Task<ChatResponse> A() => _guarded.GetResponseAsync("hi");
            public Task<ChatResponse> B() => {|#0:_plain.GetResponseAsync("hi")|};
            public Task<ChatResponse> C() => Guarded.GetResponseAsync("hi");
            public Task<ChatResponse> D() => {|#1:Settable!.GetResponseAsync("hi")|};
        }
        """,
        Usings + """
        partial class Service
        {
            public Service(IChatClient inner)
            {
                _guarded = new ChatClientBuilder(inner).UseBudget("svc").Build();
                _plain = new ChatClientBuilder(inner).UseLogging().Build();
                Settable = _guarded;
            }

            public void Replace(IChatClient other) => Settable = new ChatClientBuilder(other).Build();
        }
        """,
    },
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'_plain' is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1));

    [Fact]
    public Task AllowUnguardedLlmCalls_OnMemberTypeOrAssembly_Suppresses() => Verify.VerifyAsync(new[]
    {
        Usings + """
        class OnMethod
        {
            [AllowUnguardedLlmCalls("offline evaluation harness, run by hand")]
            Task<ChatResponse> M(IChatClient client) => client.GetResponseAsync("hi");

            Task<ChatResponse> N(IChatClient client) => {|#0:client.GetResponseAsync("hi")|};

            [AllowUnguardedLlmCalls("property used only by tests")]
            Task<ChatResponse> P => ((IChatClient)null!).GetResponseAsync("hi");
        }

        [AllowUnguardedLlmCalls("the whole type is a benchmark")]
        class OnType
        {
            Task<ChatResponse> M(IChatClient client) => client.GetResponseAsync("hi");
            class Nested { Task<ChatResponse> M(IChatClient client) => client.GetResponseAsync("hi"); }
        }
        """,
    },
        Verify.Diagnostic("GAI001").WithLocation(0));

    [Fact]
    public Task AllowUnguardedLlmCalls_OnAssembly_Suppresses() => Verify.VerifyAsync(Usings + """
        [assembly: AllowUnguardedLlmCalls("a test assembly")]
        class C { Task<ChatResponse> M(IChatClient client) => client.GetResponseAsync("hi"); }
        """);

    [Fact]
    public Task DependencyInjection_GuardedOnlyWhenEveryRegistrationUsesBudget() => Verify.VerifyAsync(Usings + """
        using Microsoft.Extensions.DependencyInjection;

        class Startup
        {
            void Configure(IServiceCollection services, IChatClient inner)
            {
                services.AddChatClient(inner).UseFunctionInvocation().UseBudget("app");
                services.AddSingleton<IChatClient>(sp => new ChatClientBuilder(inner).UseBudget("other").Build());
            }
        }

        class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => chat.GetResponseAsync(text);
        }

        class Translator
        {
            private readonly IChatClient _chat;
            public Translator(IChatClient chat) => _chat = chat;
            public Task<ChatResponse> Translate(string text) => _chat.GetResponseAsync(text);
            public Task<ChatResponse> Resolve(IServiceProvider sp) => sp.GetRequiredService<IChatClient>().GetResponseAsync("x");
        }
        """);

    [Fact]
    public Task DependencyInjection_OneUnbudgetedRegistration_ReportsInjectedCalls() => Verify.VerifyAsync(Usings + """
        using Microsoft.Extensions.DependencyInjection;

        class Startup
        {
            void Configure(IServiceCollection services, IChatClient inner)
            {
                services.AddChatClient(inner).UseBudget("app");
                services.AddKeyedChatClient("raw", inner).UseLogging();
            }
        }

        class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => {|#0:chat.GetResponseAsync(text)|};
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'chat' comes from dependency injection, and the IChatClient registration at Test0.cs(15) does not go through UseBudget"));

    [Fact]
    public Task DependencyInjection_NoRegistrationInCompilation_IsReported() => Verify.VerifyAsync(Usings + """
        class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => {|#0:chat.GetResponseAsync(text)|};
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'chat' comes from dependency injection, and this library registers no IChatClient (the application's registrations cannot be seen from here)"));

    [Fact]
    public Task Embeddings_OpenAI_And_Anthropic_AreEntryPoints() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IEmbeddingGenerator<string, Embedding<float>> generator, OpenAI.Chat.ChatClient openAi,
                OpenAI.Embeddings.EmbeddingClient embeddings, Anthropic.AnthropicClient anthropic,
                Anthropic.Models.Messages.MessageCreateParams request)
            {
                await {|#0:generator.GenerateAsync(new[] { "a" })|};
                await {|#1:generator.GenerateVectorAsync("a")|};
                await {|#2:openAi.CompleteChatAsync("hi")|};
                {|#3:openAi.CompleteChat("hi")|};
                await {|#4:embeddings.GenerateEmbeddingAsync("a")|};
                await {|#5:anthropic.Messages.Create(request)|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IEmbeddingGenerator.GenerateAsync", "'generator' comes from parameter 'generator', which the analysis does not trace to its callers"),
        Verify.Diagnostic("GAI001").WithLocation(1),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("ChatClient.CompleteChatAsync", "'openAi' is a ChatClient (OpenAI), which no GuardedAI budget wraps; call it as an IChatClient (AsIChatClient()) through a pipeline with UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(3),
        Verify.Diagnostic("GAI001").WithLocation(4),
        Verify.Diagnostic("GAI001").WithLocation(5).WithArguments("IMessageService.Create", "'anthropic.Messages' is an IMessageService (Anthropic), which no GuardedAI budget wraps; call it as an IChatClient (client.AsIChatClient(model)) through a pipeline with UseBudget"));

    [Fact]
    public Task Embeddings_ThroughABudgetGuard_AreNotReported_WithoutOne_AreReported() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IEmbeddingGenerator<string, Embedding<float>> provider, BudgetEngine engine, BudgetPolicy policy)
            {
                var guarded = new EmbeddingGeneratorBuilder<string, Embedding<float>>(provider).UseBudget(engine, policy).Build();
                await guarded.GenerateAsync(new[] { "a" });
                var direct = new BudgetEmbeddingGenerator<Embedding<float>>(provider, engine, policy);
                await direct.GenerateVectorAsync("a");
                var unguarded = new EmbeddingGeneratorBuilder<string, Embedding<float>>(provider).Build();
                await {|#0:unguarded.GenerateAsync(new[] { "a" })|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0));

    [Fact]
    public Task ClientImplementations_ForwardingCalls_AreNotReported() => Verify.VerifyAsync(Usings + """
        sealed class LoggingClient(IChatClient inner) : DelegatingChatClient(inner)
        {
            public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
                => InnerClient.GetResponseAsync(messages, options, cancellationToken);
        }

        class User
        {
            Task<ChatResponse> M(IChatClient inner) => {|#0:new LoggingClient(inner).GetResponseAsync("hi")|};
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IChatClient.GetResponseAsync", "'new LoggingClient(inner)' is built on parameter 'inner', which the analysis does not trace to its callers"));

    [Fact]
    public Task EntryPointsFile_AddsProjectEntryPoints() => Verify.VerifyAsync(
        new[]
        {
            Usings + """
            namespace MyCompany
            {
                public class LlmGateway
                {
                    public Task<string> AskAsync(string prompt) => Task.FromResult(prompt);
                    public Task<string> AskAsync(string prompt, int retries) => Task.FromResult(prompt);
                    public static Task<string> Once(string prompt) => Task.FromResult(prompt);
                    public string Name => "gw";
                }
                class User
                {
                    async Task M(LlmGateway gateway)
                    {
                        await {|#0:gateway.AskAsync("hi")|};
                        await {|#1:gateway.AskAsync("hi", 2)|};
                        await {|#2:LlmGateway.Once("hi")|};
                        _ = gateway.Name;
                    }
                }
            }
            """,
        },
        new[] { ("/0/GuardedAI.EntryPoints.txt", """
            // Our own gateway reaches OpenAI directly.
            M:MyCompany.LlmGateway.AskAsync ; every overload
            M:MyCompany.LlmGateway.Once(System.String)
            """) },
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("LlmGateway.AskAsync", "'gateway' comes from parameter 'gateway', which the analysis does not trace to its callers"),
        Verify.Diagnostic("GAI001").WithLocation(1),
        Verify.Diagnostic("GAI001").WithLocation(2).WithArguments("LlmGateway.Once", "it is a static call, not made through a budgeted client"));

    [Fact]
    public Task GeneratedCode_IsNotAnalyzed() => Verify.VerifyAsync(new[]
    {
        "// <auto-generated/>\n" + Usings + """
        class Generated { Task<ChatResponse> M(IChatClient client) => client.GetResponseAsync("hi"); }
        """,
    });

    /// <summary>.NET Aspire's <c>builder.AddOpenAIClientFromConfiguration("chat").AddChatClient()</c> (here a stand-in with the same shape): any Add… helper that returns the ChatClientBuilder registers a client.</summary>
    [Fact]
    public Task DependencyInjection_ThirdPartyAddChatClientHelpers_AreRegistrations() => Verify.VerifyAsync(new[]
    {
        AspireLike + """

        class Startup
        {
            void Configure(Microsoft.Extensions.Hosting.ProviderClientBuilder chat, Microsoft.Extensions.Hosting.ProviderClientBuilder raw)
            {
                chat.AddChatClient().UseFunctionInvocation().UseBudget("chat");
                raw.AddChatClient().UseLogging();
            }
        }

        class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => {|#0:chat.GetResponseAsync(text)|};
        }
        """,
    },
        Verify.Diagnostic("GAI001").WithLocation(0)
            .WithArguments("IChatClient.GetResponseAsync", "'chat' comes from dependency injection, and the IChatClient registration at Test0.cs(21) does not go through UseBudget"));

    [Fact]
    public Task DependencyInjection_ThirdPartyAddChatClientHelpers_WithUseBudget_AreGuarded() => Verify.VerifyAsync(new[]
    {
        AspireLike + """

        class Startup
        {
            void Configure(Microsoft.Extensions.Hosting.ProviderClientBuilder chat) => chat.AddChatClient().UseFunctionInvocation().UseBudget("chat");
        }

        class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => chat.GetResponseAsync(text);
        }
        """,
    });

    private const string AspireLike = Usings + """
        namespace Microsoft.Extensions.Hosting
        {
            public sealed class ProviderClientBuilder(Microsoft.Extensions.DependencyInjection.IServiceCollection services, IChatClient client)
            {
                // Aspire's helper registers the client in `services`; the stand-in only has its signature's shape.
                public ChatClientBuilder AddChatClient() => new ChatClientBuilder(client);
            }
        }
        """;
}

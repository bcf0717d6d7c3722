using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>Embedding generators from DI, one-line messages, and the wording for applications and libraries.</summary>
public class MessageAndServiceTests
{
    private const string Usings = """
        #nullable enable
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;
        using GuardedAI;

        """;

    private const string Search = """
        class Search(IEmbeddingGenerator<string, Embedding<float>> embeddings)
        {
            public Task<Embedding<float>> Embed(string text) => {|#0:embeddings.GenerateAsync(text)|};
        }
        """;

    [Fact]
    public Task InjectedEmbeddingGenerator_RegisteredThroughUseBudget_IsGuarded() => Verify.VerifyAsync(Usings + """
        class Startup
        {
            void Configure(IServiceCollection services, IEmbeddingGenerator<string, Embedding<float>> provider)
            {
                services.AddEmbeddingGenerator(provider).UseBudget("embeddings");
            }
        }
        """ + Search.Replace("{|#0:", "").Replace(")|}", ")"));

    [Fact]
    public Task InjectedEmbeddingGenerator_RegisteredWithoutUseBudget_NamesTheRegistrationAndTheGuardThatExists() => Verify.VerifyAsync(Usings + """
        class Startup
        {
            void Configure(IServiceCollection services, IEmbeddingGenerator<string, Embedding<float>> provider, IChatClient chat)
            {
                services.AddChatClient(chat).UseBudget("chat");
                services.AddEmbeddingGenerator(provider).UseLogging();
            }
        }
        """ + Search,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IEmbeddingGenerator.GenerateAsync",
            "'embeddings' comes from dependency injection, and the IEmbeddingGenerator registration at Test0.cs(11) does not go through EmbeddingGeneratorBuilder.UseBudget"));

    [Fact]
    public Task InjectedEmbeddingGenerator_WithNoRegistrationInALibrary_SaysSo() => Verify.VerifyAsync(Usings + Search,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IEmbeddingGenerator.GenerateAsync",
            "'embeddings' comes from dependency injection, and this library registers no IEmbeddingGenerator (the application's registrations cannot be seen from here)"));

    [Fact]
    public Task ReceiverWrittenOverSeveralLines_IsNamedOnOneLine_AndShortened() => Verify.VerifyAsync(Usings + """
        class C
        {
            async Task M(IChatClient inner)
            {
                await {|#0:new ChatClientBuilder(inner)
                    // logging only: the budget is missing
                    .UseLogging()
                    .Build()
                    .GetResponseAsync("hi")|};
                await {|#1:new ChatClientBuilder(inner).UseLogging().UseFunctionInvocation().UseOpenTelemetry().Build()
                    .GetResponseAsync("hi")|};
            }
        }
        """,
        Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("IChatClient.GetResponseAsync",
            "'new ChatClientBuilder(inner).UseLogging().Build()' is built by a ChatClientBuilder pipeline that never calls UseBudget"),
        Verify.Diagnostic("GAI001").WithLocation(1).WithArguments("IChatClient.GetResponseAsync",
            "'new ChatClientBuilder(inner).UseLogging().UseFunctionInvo...' is built by a ChatClientBuilder pipeline that never calls UseBudget"));

    /// <summary>
    /// What MSBuild prints is the formatted message's first line: every GAI001 message, whatever shape its receiver has,
    /// must be one line that ends with its reason, and carry the help link.
    /// </summary>
    [Fact]
    public async Task EveryMessage_IsOneLine_AndHasAHelpLink()
    {
        var source = Usings + """
            class C
            {
                async Task M(IChatClient inner, OpenAI.OpenAIClient openAi, Anthropic.AnthropicClient anthropic,
                    Anthropic.Models.Messages.MessageCreateParams request)
                {
                    await openAi
                        .GetChatClient("gpt-4o-mini")    /* the cheap one */
                        .CompleteChatAsync("hi");
                    await anthropic
                        .Messages
                        .Create(request);
                    await new ChatClientBuilder(
                            inner)
                        .Build()
                        .GetResponseAsync(@"multi
            line");
                }
            }
            """;
        var diagnostics = await RunAnalyzerAsync(source);
        Assert.Equal(3, diagnostics.Length);
        foreach (var diagnostic in diagnostics)
        {
            var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            Assert.DoesNotContain('\n', message);
            Assert.DoesNotContain('\r', message);
            Assert.Matches("^'[^']+' calls a model without a GuardedAI budget: '[^']+' .+", message);
            Assert.Equal(GuardedAI.Analyzers.DiagnosticDescriptors.HelpLinkBase + "GAI001.md", diagnostic.Descriptor.HelpLinkUri);
        }
        var messages = string.Join(Environment.NewLine, diagnostics.Select(d => d.GetMessage()));
        Assert.Contains("'openAi.GetChatClient(\"gpt-4o-mini\")' is a ChatClient (OpenAI)", messages);
        Assert.Contains("'anthropic.Messages' is an IMessageService (Anthropic)", messages);
        Assert.Contains("'new ChatClientBuilder(inner).Build()' is built by a ChatClientBuilder pipeline", messages);
    }

    internal static async Task<ImmutableArray<Diagnostic>> RunAnalyzerAsync(string source, DiagnosticAnalyzer? analyzer = null)
    {
        var compilation = CreateCompilation(source);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create(analyzer ?? new UnguardedLlmCallAnalyzer()));
        return (await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None)).Sort((a, b) => a.Location.SourceSpan.Start.CompareTo(b.Location.SourceSpan.Start));
    }

    /// <summary>A compilation over the running runtime's assemblies plus the LLM libraries; fails the test on a compiler error.</summary>
    internal static CSharpCompilation CreateCompilation(string source, bool withLlmLibraries = true)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator);
        var references = platform.Where(p => System.IO.Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) ||
                                             System.IO.Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Concat(withLlmLibraries ? TestReferences.All : Enumerable.Empty<string>())
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Test", new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
        return compilation;
    }
}

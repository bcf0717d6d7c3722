using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.UnguardedLlmCallAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// The catalogue's types are looked up only in namespaces the compilation declares (issue 16: most catalogue types are in
/// SDKs a project does not reference). What the lookup skips must never be a type the compilation can call.
/// </summary>
public class TypeLookupTests
{
    [Theory]
    [InlineData("OpenAI.Chat.ChatClient", "OpenAI.Chat")]
    [InlineData("Microsoft.Extensions.AI.IEmbeddingGenerator`2", "Microsoft.Extensions.AI")]
    [InlineData("Anthropic.Services.Beta.IMessageService+Nested", "Anthropic.Services.Beta")]
    [InlineData("Outer+Inner.WithDot", "")]
    [InlineData("TopLevel", "")]
    public void NamespaceOf_IsWhatPrecedesTheTopLevelTypesName(string metadataName, string expected) =>
        Assert.Equal(expected, TypeLookup.NamespaceOf(metadataName));

    [Fact]
    public async Task ASdkReferencedOnlyUnderAnExternAlias_IsStillAnEntryPoint()
    {
        // The alias keeps OpenAI out of the global namespace; a lookup that only asked the global namespace would miss it.
        var test = new CSharpAnalyzerTest<UnguardedLlmCallAnalyzer, DefaultVerifier>();
        test.TestState.Sources.Add(("/0/Test0.cs", """
            extern alias oai;
            using System.Threading.Tasks;

            class C
            {
                async Task M(oai::OpenAI.Chat.ChatClient openAi)
                {
                    await {|#0:openAi.CompleteChatAsync("hi")|};
                }
            }
            """));
        test.TestState.ReferenceAssemblies = TestReferences.Net10;
        var openAi = typeof(OpenAI.Chat.ChatClient).Assembly.Location;
        test.TestState.AdditionalReferences.AddRange(TestReferences.Assemblies.Where(p => p != openAi).Select(p => MetadataReference.CreateFromFile(p)));
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(openAi, new MetadataReferenceProperties(aliases: ImmutableArray.Create("oai"))));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("GAI001").WithLocation(0).WithArguments("ChatClient.CompleteChatAsync",
            "'openAi' is a ChatClient (OpenAI), which no GuardedAI budget wraps; call it as an IChatClient (AsIChatClient()) through a pipeline with UseBudget"));
        await test.RunAsync(CancellationToken.None);
    }
}

using GuardedAI.Generator.Tests.Infrastructure;

namespace GuardedAI.Generator.Tests;

/// <summary>
/// Input the generator cannot implement produces no source at all (and no exception): the analyzers
/// (GAI004, GAI005, GAI006, GAI008, GAI010; a parameter no template uses, GAI007, is only a warning and is generated) explain why, and the user sees one diagnostic per rule, not a cascade.
/// </summary>
public sealed class RejectedInputTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "GAI004 interface not partial", """
            [LlmBudget("b")] public interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI004 containing type not partial", """
            public static class Outer { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } }
            """ },
        { "GAI005 attribute on a class", """
            #pragma warning disable CS0592
            [LlmBudget("b")] public partial class Bot { }
            """ },
        { "GAI006 placeholder without parameter", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}")] Task<string> HiAsync(string nom); }
            """ },
        { "GAI006 placeholder is case-sensitive", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {Name}")] Task<string> HiAsync(string name); }
            """ },
        { "GAI006 placeholder names the cancellation token", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {ct}")] Task<string> HiAsync(CancellationToken ct); }
            """ },
        { "GAI006 placeholder never closed", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi { there")] Task<string> HiAsync(); }
            """ },
        { "GAI006 placeholder opened twice", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {a {name}")] Task<string> HiAsync(string name); }
            """ },
        { "GAI006 system placeholder without parameter", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}", System = "You are {persona}")] Task<string> HiAsync(string name); }
            """ },
        { "GAI008 static abstract member", """
            [LlmBudget("b")] public partial interface IBot { static abstract string Kind(); [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 non-generic Task", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task HiAsync(); }
            """ },
        { "GAI008 ValueTask", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] ValueTask<string> HiAsync(); }
            """ },
        { "GAI008 stream of non-strings", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] IAsyncEnumerable<int> HiAsync(); }
            """ },
        { "GAI008 synchronous string", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] string Hi(); }
            """ },
        { "GAI008 method without LlmPrompt", """
            [LlmBudget("b")] public partial interface IBot { Task<string> HiAsync(); }
            """ },
        { "GAI008 LlmPrompt method inherited from a base without it", """
            public interface IBase { Task<string> OtherAsync(); }
            [LlmBudget("b")] public partial interface IBot : IBase { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 abstract property", """
            [LlmBudget("b")] public partial interface IBot { string Name { get; } [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 abstract event", """
            [LlmBudget("b")] public partial interface IBot { event System.EventHandler Changed; [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 ref parameter", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}")] Task<string> HiAsync(ref string name); }
            """ },
        { "GAI008 in parameter", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {count}")] Task<string> HiAsync(in int count); }
            """ },
        { "GAI008 two cancellation tokens", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(CancellationToken a, CancellationToken b); }
            """ },
        { "GAI008 two chat options", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(ChatOptions a, ChatOptions? b); }
            """ },
        { "GAI008 generic method", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<T> HiAsync<T>(); }
            """ },
        { "GAI008 generic interface", """
            [LlmBudget("b")] public partial interface IBot<T> { [LlmPrompt("Hi")] Task<T> HiAsync(); }
            """ },
        { "GAI008 file-local interface", """
            [LlmBudget("b")] file partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 nested in a file-local class", """
            file partial class Outer { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } }
            """ },
        { "GAI008 by-ref return", """
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] ref Task<string> HiAsync(); }
            """ },
        { "GAI008 null template", """
            #nullable disable
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt(null)] Task<string> HiAsync(); }
            """ },
        { "GAI008 re-abstracted base member", """
            public interface IHello { string Hello(); }
            [LlmBudget("b")] public partial interface IBot : IHello { abstract string IHello.Hello(); [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 property inherited from a base", """
            public interface IBase { string Name { get; } }
            [LlmBudget("b")] public partial interface IBot : IBase { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI008 base interface outside IChatClient's (IAsyncDisposable)", """
            [LlmBudget("b")] public partial interface IBot : System.IAsyncDisposable { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """ },
        { "GAI006 placeholder without parameter in an inherited prompt", """
            public interface IBase { [LlmPrompt("Hi {x}")] Task<string> HiAsync(string y); }
            [LlmBudget("b")] public partial interface IBot : IBase { }
            """ },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EmitsNothing(string rule, string declaration)
    {
        string source = $$"""
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using GuardedAI;
            using Microsoft.Extensions.AI;

            namespace Acme.Rejected;

            {{declaration}}
            """;

        GeneratorResult result = GeneratorHarness.Run(source);

        Assert.True(result.GeneratedTrees.IsEmpty, $"{rule}: expected no generated source, got:\n{result.GeneratedText()}");
    }

    [Fact]
    public void OnlyTheInvalidInterfaceIsSkipped()
    {
        // A control for the theory above: the same file with one valid interface still generates that one.
        GeneratorResult result = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using GuardedAI;

            namespace Acme.Mixed;

            [LlmBudget("bad")] public partial interface IBad { [LlmPrompt("Hi {missing}")] Task<string> HiAsync(); }
            [LlmBudget("good")] public partial interface IGood { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """);

        Assert.Equal(new[] { "Acme.Mixed.IGood.g.cs" }, SyntaxTreeNames(result));
    }

    [Fact]
    public void DefaultImplementationsAndStaticMembersAreIgnored()
    {
        GeneratorResult result = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using GuardedAI;

            namespace Acme.Defaults;

            [LlmBudget("defaults")]
            public partial interface IBot
            {
                [LlmPrompt("Hi")] Task<string> HiAsync();
                string Name => "bot";
                Task<string> GreetTwiceAsync() => HiAsync();
                static int Version => 2;
                static string Describe() => "a bot";
            }
            """);

        string text = result.GeneratedText();
        Assert.Contains("HiAsync(", text);
        Assert.DoesNotContain("GreetTwiceAsync", text);
        Assert.DoesNotContain("Describe", text);
        Assert.Empty(result.CompilationProblems());
    }

    [Fact]
    public void WithoutMicrosoftExtensionsAI_EmitsNothing()
    {
        // GAI010: the guard is an IChatClient; without Microsoft.Extensions.AI.Abstractions there is nothing to build on.
        const string source = """
            using System.Threading.Tasks;
            using GuardedAI;

            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """;

        Assert.True(GeneratorHarness.Run(source, GeneratorHarness.ReferencesWithout("Microsoft.Extensions.AI.Abstractions")).GeneratedTrees.IsEmpty);
        Assert.False(GeneratorHarness.Run(source).GeneratedTrees.IsEmpty); // the control
    }

    [Fact]
    public void NestedTypesInTheInterface_AreNotMembersToImplement()
    {
        // Interfaces and abstract classes are abstract symbols; they used to make the generator reject the interface.
        GeneratorResult result = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using GuardedAI;

            namespace Acme.NestedTypes;

            [LlmBudget("nested")]
            public partial interface IBot
            {
                [LlmPrompt("Hi")] Task<string> HiAsync();
                public interface IOptions { int Count { get; } }
                public abstract class Helper { public abstract void Run(); }
            }
            """);

        Assert.Equal(new[] { "Acme.NestedTypes.IBot.g.cs" }, SyntaxTreeNames(result));
        Assert.Empty(result.CompilationProblems());
    }

    private static string[] SyntaxTreeNames(GeneratorResult result)
        => result.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).Order(StringComparer.Ordinal).ToArray();
}

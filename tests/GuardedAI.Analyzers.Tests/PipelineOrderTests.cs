using System;
using System.Threading.Tasks;
using GuardedAI.CodeFixes;
using GuardedAI.Simulation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.Extensions.AI;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.PipelineOrderAnalyzer>;
using VerifyFix = GuardedAI.Analyzers.Tests.CodeFixVerifier<GuardedAI.Analyzers.PipelineOrderAnalyzer, GuardedAI.CodeFixes.MoveFunctionInvocationCodeFixProvider>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>GAI011: a tool loop added after UseBudget in a ChatClientBuilder chain, and the fix that reorders it (issue 17).</summary>
public class PipelineOrderTests
{
    private const string Header = """
        using GuardedAI;
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;

        class MyLoop : FunctionInvokingChatClient
        {
            public MyLoop(IChatClient inner) : base(inner) { }
        }

        """;

    /// <summary>GAI011 on the loop-making call, with the UseBudget call it ends up beneath as the additional location.</summary>
    private static DiagnosticResult Gai011(int loop, int budget, string name = "UseFunctionInvocation") =>
        new DiagnosticResult("GAI011", DiagnosticSeverity.Error).WithLocation(loop).WithLocation(budget).WithArguments(name);

    [Fact]
    public void The_order_the_rule_enforces_is_the_order_Microsoft_Extensions_AI_builds()
    {
        var engine = new BudgetEngine();
        var policy = BudgetPolicy.Create("order").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();

        // Reported: the first Use… is the outermost, so the guard wraps the tool loop and refuses it.
        var reported = new ChatClientBuilder(new SimulatedChatClient()).UseBudget(engine, policy).UseFunctionInvocation();
        Assert.Throws<InvalidOperationException>(() => reported.Build());

        // What the fix writes: the loop outside, the guard next to the provider.
        var fixedClient = new ChatClientBuilder(new SimulatedChatClient()).UseFunctionInvocation().UseBudget(engine, policy).Build();
        Assert.IsType<FunctionInvokingChatClient>(fixedClient);
        Assert.NotNull(fixedClient.GetService<BudgetChatClient>());
    }

    [Fact]
    public Task Loops_added_after_UseBudget_are_errors() => Verify.VerifyAsync(Header + """
        class C
        {
            void M(IChatClient inner, BudgetEngine engine, BudgetPolicy policy, IServiceCollection services)
            {
                var a = new ChatClientBuilder(inner).{|#1:UseBudget("support")|}.{|#0:UseFunctionInvocation()|}.Build();
                var b = inner.AsBuilder().{|#3:UseBudget(engine, policy)|}.UseLogging().{|#2:UseFunctionInvocation()|}.Build();
                services.AddChatClient(inner).{|#5:UseBudget("app")|}.{|#4:Use(c => new FunctionInvokingChatClient(c))|};
                new ChatClientBuilder(inner).{|#7:UseBudget(policy)|}.{|#6:Use((c, sp) => { return new MyLoop(c); })|}.Build();
                // Beneath both guards: reported once, against the first (outermost) one.
                new ChatClientBuilder(inner).{|#9:UseBudget("run")|}.UseBudget("call").{|#8:UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 3)|}.Build();
            }
        }
        """,
        Gai011(0, 1), Gai011(2, 3), Gai011(4, 5, "Use"), Gai011(6, 7, "Use"), Gai011(8, 9));

    [Fact]
    public Task Loops_outside_the_guard_and_other_middleware_are_quiet() => Verify.VerifyAsync(Header + """
        class C
        {
            void M(IChatClient inner, BudgetEngine engine, BudgetPolicy policy, IServiceCollection services)
            {
                new ChatClientBuilder(inner).UseFunctionInvocation().UseBudget("support").Build();
                inner.AsBuilder().UseFunctionInvocation().UseLogging().UseBudget(engine, policy).UseOpenTelemetry().Build();
                services.AddChatClient(inner).Use(c => new MyLoop(c)).UseBudget("app");
                new ChatClientBuilder(inner).UseBudget("only").Build();
                new ChatClientBuilder(inner).UseFunctionInvocation().Build();
                new ChatClientBuilder(inner).UseBudget("x").Use(c => new ConfigureOptionsChatClient(c, o => o.Temperature = 0)).Build();
                new ChatClientBuilder(inner).UseBudget("y").Use(c => { IChatClient made = c; return made; }).Build();
            }
        }
        """);

    [Fact]
    public Task Only_the_loop_after_the_guard_is_reported() => Verify.VerifyAsync(Header + """
        class C
        {
            void M(IChatClient inner) =>
                new ChatClientBuilder(inner).UseFunctionInvocation().{|#1:UseBudget("a")|}.{|#0:UseFunctionInvocation()|}.Build();
        }
        """,
        Gai011(0, 1));

    [Fact]
    public Task Fix_moves_the_loop_before_UseBudget_keeping_the_layout() => VerifyFix.VerifyAsync(Header + """
        class C
        {
            IChatClient M(IChatClient inner)
            {
                var oneLine = new ChatClientBuilder(inner).{|#1:UseBudget("support")|}.{|#0:UseFunctionInvocation()|}.Build();
                return new ChatClientBuilder(inner)
                    .{|#3:UseBudget("support")|}   // the guard
                    .UseLogging()
                    .{|#2:UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 5)|}
                    .Build();
            }
        }
        """, Header + """
        class C
        {
            IChatClient M(IChatClient inner)
            {
                var oneLine = new ChatClientBuilder(inner).UseFunctionInvocation().UseBudget("support").Build();
                return new ChatClientBuilder(inner)
                    .UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 5)
                    .UseBudget("support")   // the guard
                    .UseLogging()
                    .Build();
            }
        }
        """, 0, Gai011(0, 1), Gai011(2, 3));

    [Fact]
    public Task Fix_moves_every_loop_of_the_chain_in_order_and_fixes_nested_chains() => VerifyFix.VerifyAsync(Header + """
        class C
        {
            void M(IChatClient inner, IServiceCollection services)
            {
                services.AddChatClient(sp => new ChatClientBuilder(inner).{|#3:UseBudget("inner")|}.{|#2:UseFunctionInvocation()|}.Build())
                    .{|#1:UseBudget("outer")|}
                    .{|#0:UseFunctionInvocation()|}
                    .UseOpenTelemetry()
                    .{|#4:Use(c => new MyLoop(c))|};
            }
        }
        """, Header + """
        class C
        {
            void M(IChatClient inner, IServiceCollection services)
            {
                services.AddChatClient(sp => new ChatClientBuilder(inner).UseFunctionInvocation().UseBudget("inner").Build())
                    .UseFunctionInvocation()
                    .Use(c => new MyLoop(c))
                    .UseBudget("outer")
                    .UseOpenTelemetry();
            }
        }
        """, 0, Gai011(0, 1), Gai011(2, 3), Gai011(4, 1, "Use"));

    [Fact]
    public Task Fix_corrects_the_example_GAI001_md_used_to_call_fine() => VerifyFix.VerifyAsync("""
        using System.Threading.Tasks;
        using GuardedAI;
        using Microsoft.Extensions.AI;

        class C
        {
            async Task M(IChatClient inner)
            {
                var guarded = new ChatClientBuilder(inner).{|#1:UseBudget("support")|}.{|#0:UseFunctionInvocation()|}.Build();
                await guarded.GetResponseAsync("hi");
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
                var guarded = new ChatClientBuilder(inner).UseFunctionInvocation().UseBudget("support").Build();
                await guarded.GetResponseAsync("hi");
            }
        }
        """, 0, Gai011(0, 1));
}

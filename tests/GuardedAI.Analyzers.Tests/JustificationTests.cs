using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.AllowUnguardedJustificationAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

public class JustificationTests
{
    [Fact]
    public Task EmptyOrBlankJustification_IsAWarning_AnExplainedOneIsNot() => Verify.VerifyAsync("""
        using GuardedAI;

        [assembly: {|#0:AllowUnguardedLlmCalls(null!)|}]

        class C
        {
            [{|#1:AllowUnguardedLlmCalls("")|}]
            void Empty() { }

            [{|#2:AllowUnguardedLlmCalls("   ")|}]
            int Blank => 0;

            [AllowUnguardedLlmCalls("nightly evaluation job, capped by the provider's own project budget")]
            void Explained() { }
        }
        """,
        Verify.Diagnostic("GAI009").WithLocation(0).WithArguments("the assembly"),
        Verify.Diagnostic("GAI009").WithLocation(1).WithArguments("Empty"),
        Verify.Diagnostic("GAI009").WithLocation(2).WithArguments("Blank"));

    [Fact]
    public Task LocalFunctionsLambdasFieldsAndConstructors_AreChecked() => Verify.VerifyAsync("""
        using System;
        using GuardedAI;

        class C
        {
            [{|#0:AllowUnguardedLlmCalls(" ")|}]
            private readonly int _field = 0;

            [{|#1:AllowUnguardedLlmCalls("")|}]
            C() { }

            void M()
            {
                [{|#2:AllowUnguardedLlmCalls("")|}]
                void Local() { }
                Action lambda = [{|#3:AllowUnguardedLlmCalls("")|}] () => { };
                Action explained = [AllowUnguardedLlmCalls("replays a recorded conversation offline")] () => { };
                Local();
            }
        }
        """,
        Verify.Diagnostic("GAI009").WithLocation(0).WithArguments("_field"),
        Verify.Diagnostic("GAI009").WithLocation(1).WithArguments("C()"),
        Verify.Diagnostic("GAI009").WithLocation(2).WithArguments("Local"),
        Verify.Diagnostic("GAI009").WithLocation(3).WithArguments("lambda in M"));
}

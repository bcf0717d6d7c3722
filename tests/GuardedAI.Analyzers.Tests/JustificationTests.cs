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
}

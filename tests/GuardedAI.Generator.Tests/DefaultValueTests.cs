using GuardedAI.Generator.Model;
using GuardedAI.Generator.Parsing;
using GuardedAI.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Generator.Tests;

/// <summary>
/// <see cref="DefaultValues.Of"/> reads some defaults from syntax rather than binding them: whatever the declaration, it
/// must give what the symbol's own <c>ExplicitDefaultValue</c> gives.
/// </summary>
public sealed class DefaultValueTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;
        using System.Threading;
        using Microsoft.Extensions.AI;

        public enum Tone { Casual = 0, Formal = 3 }
        public struct Point { public int X; }
        public interface IDefaults
        {
            void M(
                CancellationToken a = default, CancellationToken b = default(CancellationToken),
                string? c = default, string? d = null, object? e = null, ChatOptions? f = default,
                int g = default, bool h = default, double i = default, decimal j = default, DateTime k = default,
                Tone l = default, Tone m = Tone.Formal, int? n = default, int? o = null, Tone? p = null, Guid q = default,
                Point r = default, (int, string) s = default, KeyValuePair<string, int> t = default,
                int u = 5, string v = "x", [Optional, DefaultParameterValue(7)] int w = 0 /* CS1745, still read */,
                nint x = default, int y = 0, string z = "");
        }
        """;

    [Fact]
    public void EveryDefaultIsWhatTheSymbolSays()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation([Source]);
        IMethodSymbol method = (IMethodSymbol)compilation.GetTypeByMetadataName("IDefaults")!.GetMembers("M").Single();
        Assert.Equal(26, method.Parameters.Length);

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            // Each on a fresh compilation, so that one path's binding cannot serve the other.
            IParameterSymbol fresh = ((IMethodSymbol)compilation.Clone().GetTypeByMetadataName("IDefaults")!.GetMembers("M").Single()).Parameters[parameter.Ordinal];
            DefaultValueModel? expected = fresh.HasExplicitDefaultValue ? DefaultValues.Read(fresh.Type, fresh.ExplicitDefaultValue) : null;
            Assert.True(Equals(expected, DefaultValues.Of(parameter)), $"parameter {parameter.Name}: expected {expected}, got {DefaultValues.Of(parameter)}");
        }
    }

    [Fact]
    public void ALiteralDefaultOnAStructReadsAsNullThatDoesNotAcceptNull()
    {
        Compilation compilation = GeneratorHarness.CreateCompilation([Source]);
        IParameterSymbol token = ((IMethodSymbol)compilation.GetTypeByMetadataName("IDefaults")!.GetMembers("M").Single()).Parameters[0];

        DefaultValueModel? model = DefaultValues.Of(token);

        Assert.NotNull(model);
        Assert.Null(model.Value);
        Assert.False(model.AcceptsNull);
        Assert.Null(model.EnumType);
    }
}

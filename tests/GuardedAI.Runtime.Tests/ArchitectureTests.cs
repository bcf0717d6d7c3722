using System.Reflection;

namespace GuardedAI.Tests;

/// <summary>The dependency rules of docs/architecture.md, checked on the compiled assemblies.</summary>
public class ArchitectureTests
{
    private static readonly Assembly Core = typeof(BudgetEngine).Assembly;

    [Theory]
    [InlineData("Microsoft.Data.Sqlite")]
    [InlineData("SQLitePCLRaw.core")]
    [InlineData("StackExchange.Redis")]
    [InlineData("Npgsql")]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("System.CommandLine")]
    [InlineData("Spectre.Console")]
    [InlineData("MailKit")]
    [InlineData("MimeKit")]
    [InlineData("Polly")]
    [InlineData("Microsoft.Extensions.Http")]
    [InlineData("Microsoft.Extensions.Resilience")]
    public void The_core_assembly_references_no_store_driver_web_or_terminal_library(string forbidden)
    {
        var references = Core.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.DoesNotContain(references, name => name.StartsWith(forbidden, StringComparison.Ordinal));
    }

    [Fact]
    public void The_engine_knows_no_Microsoft_Extensions_AI_type()
    {
        var engineTypes = Core.GetTypes()
            .Where(t => t.Namespace == "GuardedAI.Engine" || t == typeof(BudgetEngine) || t == typeof(BudgetLease) || t == typeof(BudgetDenial)
                || t == typeof(UsageEstimate) || t == typeof(ReservationContext) || t == typeof(BudgetPolicy) || t == typeof(BudgetEngineOptions))
            .ToArray();
        Assert.Contains(engineTypes, t => t.Name == "Reserver"); // the namespace really holds the parts

        var offenders = engineTypes.SelectMany(type => SignatureTypes(type).Where(IsExtensionsAI).Select(used => $"{type.Name} uses {used.FullName}")).ToArray();

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_engine_facade_stays_small()
    {
        var members = typeof(BudgetEngine).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not MethodInfo { IsSpecialName: true }).Select(m => m.Name).Distinct().ToArray();

        // Decisions go through TryReserveAsync; the collaborators are not handed out for callers to change.
        Assert.DoesNotContain("ReserveAsync", members);
        Assert.DoesNotContain("Options", members);
        Assert.DoesNotContain("Store", members);
        Assert.DoesNotContain("Alerts", members);
        Assert.Contains("TryReserveAsync", members);
    }

    private static bool IsExtensionsAI(Type type) =>
        type.Assembly.GetName().Name is "Microsoft.Extensions.AI" or "Microsoft.Extensions.AI.Abstractions";

    private static IEnumerable<Type> SignatureTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var direct = type.GetFields(all).Select(f => f.FieldType)
            .Concat(type.GetProperties(all).Select(p => p.PropertyType))
            .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
            .Concat(type.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)))
            .Append(type.BaseType ?? typeof(object))
            .Concat(type.GetInterfaces());
        return direct.SelectMany(Expand);
    }

    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.HasElementType) return Expand(type.GetElementType()!);
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Expand).Prepend(type) : [type];
    }
}

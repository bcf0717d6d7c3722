using System;
using System.Collections.Generic;
using System.Globalization;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace GuardedAI.Analyzers;

/// <summary>
/// Reads a <c>BudgetPolicy.Create(name)</c> / <c>BudgetPolicy.ForTier(name, tier)</c> chain that ends in
/// <c>.Build()</c>, replaying each builder call with the builder's semantics. A value that is not a constant is
/// unknown and takes part in no rule; a call that could change anything unknowably (a tier or a dimension that is not
/// a constant, a builder method this reader does not know) makes the whole chain unreadable: no guesses, no false alarms.
/// </summary>
internal sealed class FluentBudgetReader
{
    private readonly INamedTypeSymbol _policyType;
    private readonly INamedTypeSymbol _builderType;

    private FluentBudgetReader(INamedTypeSymbol policyType, INamedTypeSymbol builderType)
    {
        _policyType = policyType;
        _builderType = builderType;
    }

    public static FluentBudgetReader? Create(Compilation compilation) =>
        compilation.GetTypeByMetadataName(RuntimeTypeNames.BudgetPolicy) is { } policy &&
        compilation.GetTypeByMetadataName(RuntimeTypeNames.BudgetPolicyBuilder) is { } builder
            ? new FluentBudgetReader(policy, builder)
            : null;

    /// <summary>True for <c>builder.Build()</c>.</summary>
    public bool IsBuild(IInvocationOperation invocation) =>
        invocation.TargetMethod.Name == "Build" && invocation.Arguments.Length == 0 &&
        SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, _builderType);

    /// <summary>The budget the chain ending in <paramref name="build"/> builds, or null when it cannot be known.</summary>
    public ReadBudget? Read(IInvocationOperation build)
    {
        var calls = new Stack<IInvocationOperation>();
        var current = build.Instance;
        while (current is IInvocationOperation call && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _builderType) && !call.TargetMethod.IsStatic)
        {
            calls.Push(call);
            current = call.Instance;
        }

        if (current is not IInvocationOperation root || !SymbolEqualityComparer.Default.Equals(root.TargetMethod.ContainingType, _policyType))
            return null;
        var budget = new ReadBudget("?", new BudgetDraft());
        if (!ApplyRoot(root, budget))
            return null;
        while (calls.Count > 0)
        {
            if (!Apply(calls.Pop(), budget))
                return null;
        }
        return budget;
    }

    private static bool ApplyRoot(IInvocationOperation root, ReadBudget budget)
    {
        switch (root.TargetMethod.Name)
        {
            case "Create":
                budget.Name = Constant(root, "name") is (true, string name) ? name : "?";
                return true;
            case "ForTier":
                budget.Name = Constant(root, "name") is (true, string tierName) ? tierName : "?";
                return ApplyTier(root, budget);
            default:
                return false;
        }
    }

    private static bool Apply(IInvocationOperation call, ReadBudget budget)
    {
        var draft = budget.Draft;
        var location = CallLocation(call);
        switch (call.TargetMethod.Name)
        {
            case "WithName":
                budget.Name = Constant(call, "name") is (true, string name) ? name : "?";
                return true;
            case "ForModel":
                var model = Constant(call, "model");
                draft.Model = model.Known && model.Value is string id && !string.IsNullOrWhiteSpace(id) ? id : null;
                budget.ModelLocation = location;
                return true;
            case "WithTier":
                return ApplyTier(call, budget);
            case "WithLimit":
            case "WithoutLimit":
                if (Enum(call, "dimension", 5) is not { } dimension || Enum(call, "window", 4) is not { } window)
                    return false; // any limit may have changed
                var amount = call.TargetMethod.Name == "WithLimit" ? Constant(call, "amount") : (false, null);
                if (amount.Known && ToDecimal(amount.Value) is { } limit)
                    draft.SetLimit((LimitDimension)dimension, (LimitWindow)window, limit, location);
                else
                    draft.RemoveLimit((LimitDimension)dimension, (LimitWindow)window);
                return true;
            case "WithMaxInputTokens":
                return SetCap(call, LimitDimension.InputTokens, draft, location);
            case "WithMaxOutputTokens":
                return SetCap(call, LimitDimension.OutputTokens, draft, location);
            case "WithMaxRequestCostUsd":
                return SetCap(call, LimitDimension.CostUsd, draft, location);
            case "WithThresholds":
                foreach (ThresholdLevel level in new[] { ThresholdLevel.Warn, ThresholdLevel.Critical, ThresholdLevel.Trip })
                {
                    var argument = Argument(call, BudgetSchema.Threshold(level).BuilderParameter!);
                    if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
                        continue; // not given: kept
                    if (!TryConstant(argument.Value, out var percent))
                        draft.ForgetThreshold(level);
                    else if (percent is not null)
                        draft.SetThreshold(level, Convert.ToDouble(percent, CultureInfo.InvariantCulture), location);
                }
                return true;
            case "WithBreaker":
            case "InTimeZone":
                return true; // no budget rule reads them
            default:
                return false;
        }
    }

    private static bool ApplyTier(IInvocationOperation call, ReadBudget budget)
    {
        if (Enum(call, "tier", int.MaxValue) is not { } tier)
            return false;
        if (!budget.Draft.ApplyTier(tier, CallLocation(call)))
            budget.ReadProblems.Add((CallLocation(call), BudgetRules.NotATier(tier)));
        return true;
    }

    private static bool SetCap(IInvocationOperation call, LimitDimension dimension, BudgetDraft draft, Location location)
    {
        var value = Constant(call, call.TargetMethod.Parameters.Length == 1 ? call.TargetMethod.Parameters[0].Name : string.Empty);
        if (!value.Known)
            draft.RemoveCap(dimension);
        else if (value.Value is null)
            draft.SetCap(dimension, null, location);
        else if (ToDecimal(value.Value) is { } amount)
            draft.SetCap(dimension, amount, location);
        else
            draft.RemoveCap(dimension);
        return true;
    }

    private static IArgumentOperation? Argument(IInvocationOperation call, string parameter)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter?.Name == parameter)
                return argument;
        }
        return null;
    }

    private static (bool Known, object? Value) Constant(IInvocationOperation call, string parameter) =>
        Argument(call, parameter) is { } argument && TryConstant(argument.Value, out var value) ? (true, value) : (false, null);

    /// <summary>An enum argument's value when it is a constant below <paramref name="count"/>.</summary>
    private static int? Enum(IInvocationOperation call, string parameter, int count) =>
        Constant(call, parameter) is (true, { } value) && ToInt(value) is { } number && number >= 0 && number < count ? number : null;

    /// <summary>The constant an argument has, looking through conversions (<c>4000</c> passed as <c>int?</c>, <c>100</c> as decimal).</summary>
    private static bool TryConstant(IOperation operation, out object? value)
    {
        while (true)
        {
            if (operation.ConstantValue.HasValue)
            {
                value = operation.ConstantValue.Value;
                return true;
            }
            if (operation is IDefaultValueOperation { Type: { } type } && type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
            {
                value = null;
                return true;
            }
            if (operation is not IConversionOperation conversion)
            {
                value = null;
                return false;
            }
            operation = conversion.Operand;
        }
    }

    private static decimal? ToDecimal(object? value)
    {
        try
        {
            return value is IConvertible && value is not string and not bool and not char ? Convert.ToDecimal(value, CultureInfo.InvariantCulture) : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static int? ToInt(object value)
    {
        try
        {
            return value is IConvertible and not string and not bool ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>From the method's name to the closing parenthesis: <c>WithLimit(…)</c> in <c>BudgetPolicy.Create("x").WithLimit(…)</c>.</summary>
    private static Location CallLocation(IInvocationOperation call)
    {
        if (call.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } invocation)
            return Location.Create(invocation.SyntaxTree, TextSpan.FromBounds(member.Name.SpanStart, invocation.Span.End));
        return call.Syntax.GetLocation();
    }
}
